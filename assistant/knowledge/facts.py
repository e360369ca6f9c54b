"""Fact lines for an LLM prompt: what the market data says that bears on the question,
localized for the viewer's language (texts fall back to the market's default language). The
grounding guard checks the LLM's reply against the same data.
"""

from __future__ import annotations

import datetime as dt

from assistant.dialogue import Topic, Understanding
from assistant.knowledge.composing import PRODUCT_TOPICS
from assistant.knowledge.market import Product
from assistant.knowledge.replies import format_days


class StatesFacts:
    """The facts half of GroundedEngine (which sets the indexes it reads)."""

    def facts(self, understanding: Understanding, lang: str) -> list[str]:
        """Fact lines from the market data relevant to the question, for an LLM prompt. Values
        are localized for `lang` (texts fall back to the market's default language)."""
        return list(self._facts_for(understanding, lang, self._today()))

    def _facts_for(self, u: Understanding, lang: str, today: dt.date) -> tuple[str, ...]:
        key = (u, lang, today)
        hit = self._facts.get(key)
        if hit is not None:
            return hit
        lines = self._build_facts(u, lang, today)
        if len(self._facts) > 4096:
            self._facts.clear()
        out = self._facts[key] = tuple(lines)
        return out

    def _build_facts(self, u: Understanding, lang: str, today: dt.date) -> list[str]:
        m = self.market
        topics = set(u.topics or (u.topic,))
        p = self._products.get(u.sku) if u.sku else None
        money = self._money
        lines = [f"Host: {m.host_name}. Market: {m.name}. Currency: {m.currency}."]
        if p is not None:
            lines += self._product_facts(p, lang)
        elif topics & (PRODUCT_TOPICS | {Topic.SALE, Topic.UNKNOWN, Topic.GREETING}):
            for x in m.products:
                price = money(x.current_price, lang)
                if x.sale_price is not None:
                    price += f" (sale; regular {money(x.price, lang)})"
                lines.append(f"Product {x.sku}: {self._name(x, lang)}, {price}")
        if topics & {Topic.SHIPPING, Topic.DELIVERY, Topic.UNKNOWN}:
            if u.country and u.country not in self._destinations:
                lines.append(
                    f"We do not ship to {self._country_name(u.country, lang)} ({u.country})."
                )
            for d in m.policies.shipping.destinations:
                lo, hi = self._days(d, p)
                free = f", free over {money(d.free_over, lang)}" if d.free_over is not None else ""
                lines.append(
                    f"Shipping to {self._country_name(d.country, lang)} ({d.country}): fee "
                    f"{money(d.fee, lang)}{free}, delivery {format_days(lo, hi, lang)}"
                )
            if m.policies.shipping.notes:
                lines.append(f"Shipping notes: {m.text(m.policies.shipping.notes, lang)}")
        if topics & {Topic.RETURNS, Topic.UNKNOWN}:
            r = m.policies.returns
            lines.append(
                f"Returns: within {r.window_days} days, "
                f"{'free' if r.free_returns else 'not free'}. {m.text(r.notes, lang)}".strip()
            )
        if topics & {Topic.PAYMENT, Topic.HOW_TO_BUY, Topic.UNKNOWN}:
            pay = m.policies.payment
            lines.append(f"Payment methods: {', '.join(pay.methods)}")
            if pay.installments:
                lines.append(f"Installments: {m.text(pay.installments, lang)}")
            lines.append(
                f"Cash on delivery: {'available' if pay.cash_on_delivery else 'not available'}"
            )
            if pay.notes:
                lines.append(f"Payment notes: {m.text(pay.notes, lang)}")
        if topics & {Topic.CAMPAIGN, Topic.SALE, Topic.UNKNOWN}:
            active = m.active_campaigns(today)
            if not active:
                lines.append("No campaign is running today.")
            for c in active:
                lines.append(
                    f"Campaign {m.text(c.name, lang)} ({c.starts.isoformat()} to "
                    f"{c.ends.isoformat()}): {m.text(c.description, lang)}"
                )
                if c.rules:
                    rules = c.rules.get(lang) or c.rules.get(m.default_language) or []
                    lines += [f"Campaign rule: {r}" for r in rules]
                if c.reward:
                    lines.append(f"Campaign reward: {m.text(c.reward, lang)}")
                if c.how_to_join:
                    lines.append(f"How to join: {m.text(c.how_to_join, lang)}")
        if u.faq_id and u.faq_id in self._faq:
            e = self._faq[u.faq_id]
            qs = e.questions.get(lang) or e.questions.get(m.default_language) or [""]
            lines.append(f"FAQ ({qs[0]}): {m.text(e.answer, lang)}")
        return lines

    def _product_facts(self, p: Product, lang: str) -> list[str]:
        m = self.market
        money = self._money
        lines = [f"Product {p.sku}: {self._name(p, lang)}"]
        if p.sale_price is not None:
            lines.append(
                f"Price: {money(p.sale_price, lang)} on sale (regular {money(p.price, lang)}, "
                f"saving {money(p.price - p.sale_price, lang)})"
            )
        else:
            lines.append(f"Price: {money(p.price, lang)} (no discount)")
        if p.sizes:
            lines.append(f"Sizes: {', '.join(p.sizes)}")
        for size, row in p.size_chart.items():
            lines.append(f"Size chart {self._chart_line(size, row, lang)}")
        if p.size_advice:
            lines.append(f"Fit: {m.text(p.size_advice, lang)}")
        if p.colors:
            lines.append(f"Colors: {', '.join(m.text(c.name, lang) for c in p.colors)}")
        if p.variants:
            stock = ", ".join(
                f"{self._variant_label(p, v.size, v.color, lang)} {v.stock}" for v in p.variants
            )
            lines.append(f"Stock: {stock}")
        if p.material:
            lines.append(f"Material: {m.text(p.material, lang)}")
        if p.ships_to:
            lines.append(f"Ships to: {', '.join(p.ships_to)}")
        if p.delivery_days:
            lines.append(
                f"Delivery: {format_days(p.delivery_days.min, p.delivery_days.max, lang)}"
            )
        points = p.selling_points.get(lang) or p.selling_points.get(m.default_language) or []
        lines += [f"Selling point: {s}" for s in points]
        return lines


# ---------------------------------------------------------------------------------------------
