"""The wording half of the grounded engine: an answer per topic, filled only with market data
through the language pack's reply templates (a viewer's own numbers are never repeated as
facts), and "I'll check with the host" where the data has no answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from babel import localedata

from assistant import languages
from assistant.dialogue import Topic, Understanding
from assistant.knowledge.market import Campaign, Product, ShippingDestination
from assistant.knowledge.matching import normalize
from assistant.knowledge.passages import Passage
from assistant.knowledge.replies import (
    format_date,
    format_days,
    format_money,
    join_list,
    join_sentences,
    locale,
    template,
)
from assistant.knowledge.understanding import GroundedUnderstanding

# Topics whose answer is about one product: without a product we ask which one.
PRODUCT_TOPICS = frozenset({
    Topic.PRICE, Topic.SIZE, Topic.STOCK, Topic.COLOR, Topic.MATERIAL,
})
_MAX_TOPICS_ANSWERED = 2
_MAX_LISTED = 5  # products / items named in one short reply
_MAX_REPLY_CHARS = 320
# The detail asked about may lengthen the first topic's answer up to this (it then leaves no
# room for a second topic).
_MAX_NOTED_CHARS = 480
_CHART_UNITS = frozenset({"in", "cm", "mm", "kg", "g", "lb"})


class Composes:
    """The wording half of GroundedEngine (which sets the indexes it reads)."""

    def _money(self, amount: Decimal, lang: str) -> str:
        loc = self._money_locale.get(lang)
        if loc is None:
            # The market's country picks the symbol viewers expect ("$" not "US$" for es_US).
            candidate = f"{lang}_{self.market.country}"
            loc = candidate if localedata.exists(candidate) else lang
            self._money_locale[lang] = loc
        return format_money(amount, self.market.currency, loc)

    # ------------------------------------------------------------------ understanding

    def handoff_notice(self, lang: str) -> str:
        return self.localize(template(lang, "handoff").format(host=self.market.host(lang)), lang)

    def fallback_text(self, lang: str) -> str:
        return self.localize(template(lang, "fallback").format(host=self.market.host(lang)),
                             lang)

    def localize(self, text: str, lang: str) -> str:
        """A reply in the market's own way of writing its language: Taiwan's Traditional
        characters where the market writes them (the pack's templates are Simplified)."""
        convert = self._script_conversions.get(lang)
        return convert(text) if convert is not None else text

    def _compose(self, u: Understanding, lang: str, today: dt.date) -> tuple[str, bool]:
        topics = list(u.topics or (u.topic,))
        if len(topics) > 1:
            topics = [t for t in topics if t is not Topic.GREETING]
        product = self._products.get(u.sku) if u.sku else None
        notes = self._notes_for(u, lang)
        flags = u.flags if isinstance(u, GroundedUnderstanding) else frozenset()
        if notes and ("bare" in flags or topics in ([Topic.UNKNOWN], [Topic.GREETING])):
            # Nothing in the fields was asked, and the operator's own sentence answers it.
            return end_sentence(notes[0].text, lang), False
        parts: list[str] = []
        needs_host = False
        done: set[str] = set()
        for topic in topics[:_MAX_TOPICS_ANSWERED]:
            if topic in PRODUCT_TOPICS and product is None:
                if "which" not in done:
                    parts.append(self._which_product(lang))
                    done.add("which")
                continue
            if topic is Topic.CAMPAIGN and "reward" not in flags and any(
                    n.source == "campaign" for n in notes):
                # A detail of the campaign was asked ("does a friend who already has an
                # account count?"): its rule is the answer, not the whole blurb.
                detail = [n for n in notes if n.source == "campaign"]
                notes = [n for n in notes if n.source != "campaign"]
                cid = u.campaign_id if isinstance(u, GroundedUnderstanding) else None
                text, host = self._campaign(cid, flags, lang, today, detail), False
            else:
                text, host = self._topic_answer(topic, u, product, lang, today, done)
            if notes and host and text == self.fallback_text(lang):
                # The field is empty, and the operator's own sentence answers it.
                text, host = end_sentence(notes.pop(0).text, lang), False
            if parts and len(text) + sum(map(len, parts)) > _MAX_REPLY_CHARS:
                continue  # live chat: a second topic only when the reply stays short
            if text:
                parts.append(text)
            needs_host = needs_host or host
            # The detail the viewer asked about ("refund" in a returns question) follows the
            # topic's rule, unless the rule already said it; a second topic only if the reply
            # stays short.
            if notes:
                said = normalize(" ".join(parts))
                fresh = [n for n in notes if normalize(n.text) not in said
                         and len(n.text) + len(said) <= _MAX_NOTED_CHARS]
                if fresh:
                    parts.append(end_sentence(fresh[0].text, lang))
                notes = []
        if not parts:
            return self.fallback_text(lang), True
        return join_sentences(parts, lang), needs_host

    def _notes_for(self, u: Understanding, lang: str) -> list[Passage]:
        note = u.note if isinstance(u, GroundedUnderstanding) else None
        if note is None or note[0] != lang:
            return []
        return [self._passages.passage(lang, i) for i in note[1]]

    def _topic_answer(
        self, topic: Topic, u: Understanding, p: Product | None, lang: str, today: dt.date,
        done: set[str],
    ) -> tuple[str, bool]:
        m = self.market
        flags = u.flags if isinstance(u, GroundedUnderstanding) else frozenset()
        if topic is Topic.PRICE:
            assert p is not None
            return self._price(p, lang, u), False
        if topic is Topic.SALE:
            return self._sale(p, lang, today), False
        if topic is Topic.SIZE:
            assert p is not None
            return self._size(p, u, lang), False
        if topic is Topic.STOCK:
            assert p is not None
            return self._stock(p, u, lang)
        if topic is Topic.COLOR:
            assert p is not None
            if not p.colors:
                return self.fallback_text(lang), True
            return self._colors_line(p, lang), False
        if topic is Topic.MATERIAL:
            assert p is not None
            if not p.material:
                return self.fallback_text(lang), True
            return template(lang, "material").format(
                name=self._name(p, lang), material=m.text(p.material, lang).rstrip(".")
            ), False
        if topic in (Topic.SHIPPING, Topic.DELIVERY):
            if "ship" in done:
                return "", False
            done.add("ship")
            # "When does it arrive, and how much is shipping?": one answer with both.
            return self._shipping(u, p, lang,
                                  with_fee=Topic.SHIPPING in (u.topics or (u.topic,)))
        if topic is Topic.RETURNS:
            return self._returns(p, lang), False
        if topic is Topic.PAYMENT:
            method = u.method if isinstance(u, GroundedUnderstanding) else None
            asked = u.asked_method if isinstance(u, GroundedUnderstanding) else None
            return self._payment(flags, u.country, method, lang, asked), False
        if topic in (Topic.WARRANTY, Topic.CARE):
            # Only the product's own field answers; anything else is a question for the host.
            field = (p.warranty if topic is Topic.WARRANTY else p.care) if p else None
            if p is None or not field:
                return self.fallback_text(lang), True
            return template(lang, topic.value).format(
                name=self._name(p, lang), text=end_sentence(m.text(field, lang), lang)), False
        if topic is Topic.CAMPAIGN:
            cid = u.campaign_id if isinstance(u, GroundedUnderstanding) else None
            return self._campaign(cid, flags, lang, today), False
        if topic is Topic.HOW_TO_BUY:
            # Wanting to buy is the moment for the host; checkout details are in the facts.
            return template(lang, "how_to_buy_host").format(host=m.host(lang)), True
        if topic is Topic.HUMAN:
            return self.handoff_notice(lang), True
        if topic is Topic.FAQ:
            entry = self._faq.get(u.faq_id or "")
            if entry is None:
                return self.fallback_text(lang), True
            return m.text(entry.answer, lang), False
        if topic is Topic.GREETING:
            if "thanks" in flags:
                return template(lang, "thanks"), False
            if p is not None:
                return template(lang, "greeting").format(what=self._name(p, lang)), False
            return template(lang, "greeting_generic"), False
        return self.fallback_text(lang), True

    # --- per-topic wording

    def _name(self, p: Product, lang: str) -> str:
        return self.market.text(p.name, lang)

    def _which_product(self, lang: str) -> str:
        names = [self._name(p, lang) for p in self.market.products[:_MAX_LISTED]]
        return template(lang, "which_product").format(names=join_list(names, lang, "or"))

    def _price(self, p: Product, lang: str, u: Understanding | None = None) -> str:
        priced = [v for v in p.variants if v.price is not None]
        if priced:
            # Variants with their own price: the asked one's, else the range.
            size, color = (u.size, u.color) if u is not None else (None, None)
            asked = [v for v in p.variants if (size is None or v.size == size)
                     and (color is None or v.color == color)] if size or color else []
            prices = sorted({v.price if v.price is not None else p.current_price
                             for v in (asked or p.variants)})
            if len(prices) == 1:
                return template(lang, "price").format(
                    name=f"{self._name(p, lang)} {self._variant_label(p, size, color, lang)}"
                    if asked else self._name(p, lang), price=self._money(prices[0], lang))
            return template(lang, "price_range").format(
                name=self._name(p, lang), min=self._money(prices[0], lang),
                max=self._money(prices[-1], lang))
        if p.sale_price is not None:
            return template(lang, "price_sale").format(
                name=self._name(p, lang), price=self._money(p.sale_price, lang),
                regular=self._money(p.price, lang),
                saving=self._money(p.price - p.sale_price, lang),
            )
        return template(lang, "price").format(
            name=self._name(p, lang), price=self._money(p.price, lang)
        )

    def _sale(self, p: Product | None, lang: str, today: dt.date) -> str:
        active = self.market.active_campaigns(today)
        hint = ""
        if active:
            name = self.market.text(active[0].name, lang)
            hint = " " + template(lang, "campaign_hint").format(name=name)
        if p is not None:
            if p.sale_price is not None:
                return self._price(p, lang)
            return template(lang, "sale_none").format(
                name=self._name(p, lang), price=self._money(p.price, lang)
            ) + hint
        on_sale = [x for x in self.market.products if x.sale_price is not None]
        if not on_sale:
            return template(lang, "sale_none_any") + hint
        items = [
            template(lang, "sale_item").format(
                name=self._name(x, lang), price=self._money(x.current_price, lang),
                regular=self._money(x.price, lang),
            )
            for x in on_sale[:_MAX_LISTED]
        ]
        return template(lang, "sale_list").format(items=join_list(items, lang)) + hint

    def _chart_line(self, size: str, row: dict, lang: str) -> str:
        labels = languages.pack(lang).measures
        cells = []
        for key, value in row.items():
            measure, _, unit = key.rpartition("_")
            if unit not in _CHART_UNITS or not measure:
                measure, unit = key, ""
            label = labels.get(measure, measure.replace("_", " "))
            cells.append(f"{label} {value}{' ' + unit if unit else ''}")
        return f"{size}: {', '.join(cells)}"

    def _size(self, p: Product, u: Understanding, lang: str) -> str:
        m = self.market
        name = self._name(p, lang)
        asked = u.asked_size if isinstance(u, GroundedUnderstanding) else None
        if not p.sizes:
            return template(lang, "one_size").format(name=name)
        if asked:
            return template(lang, "size_missing").format(
                name=name, size=asked, sizes=join_list(p.sizes, lang)
            )
        parts = [template(lang, "sizes").format(name=name, sizes=join_list(p.sizes, lang))]
        rows = (
            [(u.size, p.size_chart[u.size])] if u.size in p.size_chart
            else list(p.size_chart.items())
        )
        if rows:
            chart = "; ".join(self._chart_line(s, r, lang) for s, r in rows)
            parts.append(template(lang, "size_chart").format(chart=chart))
        if p.size_advice:
            parts.append(m.text(p.size_advice, lang))
        return join_sentences(parts, lang)

    def _variant_label(self, p: Product, size: str | None, color: str | None, lang: str) -> str:
        c = p.color(color) if color else None
        cname = self.market.text(c.name, lang) if c else None
        if size and cname:
            return f"{size} / {cname}"
        return size or cname or self._name(p, lang)

    def _stock(self, p: Product, u: Understanding, lang: str) -> tuple[str, bool]:
        name = self._name(p, lang)
        flags = u.flags if isinstance(u, GroundedUnderstanding) else frozenset()
        asked = u.asked_size if isinstance(u, GroundedUnderstanding) else None
        if asked and not p.sizes:
            return template(lang, "one_size").format(name=name), False
        if asked:
            return template(lang, "size_missing").format(
                name=name, size=asked, sizes=join_list(p.sizes, lang)
            ), False
        if "color_missing" in flags and u.color is None:
            return self._colors_line(p, lang), False
        if not p.variants:
            return self.fallback_text(lang), True
        size, color = u.size, u.color
        if size is None and color is None:
            total = p.total_stock
            if total == 0:
                return template(lang, "stock_none").format(name=name), False
            out = [self._variant_label(p, v.size, v.color, lang) for v in p.variants
                   if v.stock == 0]
            text = template(lang, "stock_total").format(name=name, n=total)
            if out:
                text += " " + template(lang, "stock_sold_out").format(
                    items=join_list(out[:_MAX_LISTED], lang)
                )
            return text, False
        n = p.stock_for(size, color)
        label = f"{name} {self._variant_label(p, size, color, lang)}"
        within = [v for v in p.variants if (size is None or v.size == size)
                  and (color is None or v.color == color)]
        if n > 0 and (len(within) == 1 or (size is not None and color is not None)):
            return template(lang, "stock_variant").format(variant=label, n=n), False
        if n > 0:  # only a size or only a colour: what is there within it
            items = [f"{self._variant_label(p, v.size, v.color, lang)} ({v.stock})"
                     for v in within if v.stock > 0]
            return template(lang, "stock_available").format(
                items=join_list(items[:_MAX_LISTED], lang)
            ), False
        # Sold out: offer the same size in other colours, else the colour in other sizes,
        # else whatever is left.
        in_stock = [v for v in p.variants if v.stock > 0]
        alts = [v for v in in_stock if size is not None and v.size == size]
        alts = alts or [v for v in in_stock if color is not None and v.color == color]
        alts = alts or in_stock
        text = template(lang, "stock_variant_out").format(variant=label)
        if alts:
            items = [f"{self._variant_label(p, v.size, v.color, lang)} ({v.stock})"
                     for v in alts[:_MAX_LISTED]]
            text += " " + template(lang, "stock_available").format(items=join_list(items, lang))
        return text, False

    def _colors_line(self, p: Product, lang: str) -> str:
        names = [self.market.text(c.name, lang) for c in p.colors]
        return template(lang, "colors").format(
            name=self._name(p, lang), colors=join_list(names, lang)
        )

    def _country_name(self, code: str, lang: str) -> str:
        return locale(lang).territories.get(code, code)

    def _days(self, dest: ShippingDestination, p: Product | None) -> tuple[int, int]:
        days = p.delivery_days if p is not None and p.delivery_days else dest.days
        return days.min, days.max

    def _shipping(
        self, u: Understanding, p: Product | None, lang: str, *, with_fee: bool
    ) -> tuple[str, bool]:
        m = self.market
        code = u.country
        home = code is None
        if code is None:
            code = m.country if m.country in self._destinations else next(iter(self._destinations))
        dest = self._destinations.get(code)
        cname = self._country_name(code, lang)
        # Not shipping there is an answer (with where we do ship), not a promise to follow up.
        if dest is None:
            others = [self._country_name(c, lang) for c in self._destinations]
            return join_sentences([template(lang, "ship_no").format(country=cname),
                                   template(lang, "ship_list").format(
                                       countries=join_list(others, lang))], lang), False
        if p is not None and p.ships_to and code not in p.ships_to:
            others = [self._country_name(c, lang) for c in p.ships_to]
            return join_sentences([template(lang, "ship_no_product").format(
                name=self._name(p, lang), country=cname),
                template(lang, "ship_list").format(countries=join_list(others, lang))],
                lang), False
        lo, hi = self._days(dest, p)
        delivery = template(lang, "delivery").format(country=cname, days=format_days(lo, hi, lang))
        if not with_fee:
            return delivery, False
        fee = template(lang, "fee_zero") if dest.fee == 0 else self._money(dest.fee, lang)
        free = (
            template(lang, "ship_free_over").format(amount=self._money(dest.free_over, lang))
            if dest.free_over is not None and dest.fee > 0 else ""
        )
        key = "ship_fee" if home else "ship_yes"
        text = join_sentences(
            [template(lang, key).format(country=cname, fee=fee, free=free), delivery], lang
        )
        if home and len(self._destinations) > 1:
            others = [self._country_name(c, lang) for c in self._destinations if c != code]
            text += " " + template(lang, "ship_list").format(countries=join_list(others, lang))
        return text, False

    def _returns(self, p: Product | None, lang: str) -> str:
        m = self.market
        r = m.policies.returns
        if p is not None and not m.returnable(p):
            # The exception is the answer: the generic rule would be wrong for this product.
            return template(lang, "returns_excluded").format(name=self._name(p, lang))
        if r.window_days == 0:
            head = template(lang, "no_returns")
        else:
            head = template(lang, "returns_free" if r.free_returns else "returns").format(
                days=r.window_days
            )
        parts = [head, first_sentence(m.text(r.notes, lang))]  # the rest is in the facts
        excluded = [self._name(x, lang) for x in m.products if not m.returnable(x)]
        if excluded and p is None:
            parts.append(template(lang, "returns_excluded").format(
                name=join_list(excluded[:_MAX_LISTED], lang)))
        return join_sentences(parts, lang)

    def _cod(self, country: str | None) -> bool:
        pay = self.market.policies.payment
        dest = self._destinations.get(country) if country else None
        if dest is not None and dest.cash_on_delivery is not None:
            return dest.cash_on_delivery
        return pay.cash_on_delivery

    def _installments(self, country: str | None) -> bool:
        dest = self._destinations.get(country) if country else None
        if dest is not None and dest.installments is not None:
            return dest.installments
        return bool(self.market.policies.payment.installments)

    def _payment(self, flags: frozenset[str], country: str | None, method: str | None,
                 lang: str, asked_method: str | None = None) -> str:
        m = self.market
        pay = m.policies.payment
        methods = [m.method_name(x, lang) for x in pay.methods]
        parts: list[str] = []
        if method is not None and not flags & {"cod", "installments"}:
            parts.append(template(lang, "method_yes").format(method=m.method_name(method, lang)))
        if "cod" in flags:
            parts.append(self._cod_line(country, lang))
        if "installments" in flags:
            if self._installments(country) and pay.installments:
                parts.append(m.text(pay.installments, lang))
            else:
                parts.append(template(lang, "installments_none"))
        if asked_method and not flags & {"cod", "installments"}:
            # "Cash App?" where it isn't taken: a no, and the ways it can pay.
            parts.append(template(lang, "method_no").format(method=asked_method,
                                                             methods=join_list(methods, lang)))
        if not parts:
            parts.append(template(lang, "payment").format(methods=join_list(methods, lang)))
            if pay.installments and self._installments(country):
                parts.append(m.text(pay.installments, lang))
        return join_sentences(parts, lang)

    def _cod_line(self, country: str | None, lang: str) -> str:
        m = self.market
        pay = m.policies.payment
        if country is not None and country in self._destinations:
            name = self._country_name(country, lang)
            own = self._passages.specific(lang, "payment", country=country,
                                          flags=frozenset({"cod"}))
            if own and self._destinations[country].cash_on_delivery is None:
                # No field for this destination, but the operator's note names it: the note
                # ("not offered in Singapore; pay by card") is the rule, not the default.
                return end_sentence(self._passages.passage(lang, own[0]).text, lang)
            if not self._cod(country):
                # Where it is not offered, say how they can pay instead.
                methods = [m.method_name(x, lang) for x in pay.methods
                           if not _is_cod_method(x)]
                return join_sentences([template(lang, "cod_no_in").format(country=name),
                                       template(lang, "payment").format(
                                           methods=join_list(methods, lang))], lang)
            text = template(lang, "cod_yes_in").format(country=name)
        else:
            yes = [c for c in self._destinations if self._cod(c)]
            no = [c for c in self._destinations if not self._cod(c)]
            if not yes:
                return template(lang, "cod_no")
            text = template(lang, "cod_yes")
            if no:  # the exceptions are part of the answer
                names = join_list([self._country_name(c, lang) for c in no], lang)
                text = join_sentences([text, template(lang, "cod_no_in").format(country=names)],
                                      lang)
            elif all(d.cash_on_delivery is None for d in self._destinations.values()):
                # No destination has its own rule, but the notes name some: they are the
                # exceptions ("not offered in Singapore or Malaysia").
                own = self._passages.specific(lang, "payment", flags=frozenset({"cod"}))
                text = join_sentences([text, *(end_sentence(self._passages.passage(
                    lang, i).text, lang) for i in own[:3])], lang)
        if pay.cod_max_order is not None:
            text = join_sentences([text, template(lang, "cod_limit").format(
                amount=self._money(pay.cod_max_order, lang))], lang)
        return text

    def _campaign(
        self, campaign_id: str | None, flags: frozenset[str], lang: str, today: dt.date,
        detail: Sequence[Passage] = (),
    ) -> str:
        m = self.market
        active = m.active_campaigns(today)
        asked = self._campaigns.get(campaign_id or "")
        chosen: Campaign | None = None
        if asked is not None and asked.active_on(today):
            chosen = asked
        elif asked is None and active:
            chosen = active[0]
        if chosen is None:
            upcoming = sorted(
                (c for c in ([asked] if asked else m.campaigns) if c.starts > today),
                key=lambda c: c.starts,
            )
            text = template(lang, "campaign_none")
            if upcoming:
                nxt = upcoming[0]
                text += " " + template(lang, "campaign_next").format(
                    name=m.text(nxt.name, lang), date=format_date(nxt.starts, lang)
                )
            return text
        conditions = []
        if chosen.min_order is not None:
            conditions.append(template(lang, "campaign_min_order").format(
                amount=self._money(chosen.min_order, lang)))
        if chosen.window_hours is not None:
            conditions.append(template(lang, "campaign_window").format(n=chosen.window_hours))
        if chosen.max_per_account is not None:
            conditions.append(template(lang, "campaign_limit").format(n=chosen.max_per_account))
        # Live viewers decide now: when it ends is part of every campaign answer.
        conditions.append(template(lang, "campaign_ends").format(
            date=format_date(chosen.ends, lang)))
        # A rule the question asked about (not the blurb's own sentences) is the answer, with
        # the conditions the fields state.
        blurb = m.text(chosen.description, lang)
        said = [end_sentence(d.text, lang) for d in detail if d.text not in blurb][:2]
        if sum(map(len, said)) > _MAX_REPLY_CHARS:
            said = said[:1]
        if said:
            return template(lang, "campaign").format(
                name=m.text(chosen.name, lang), text=join_sentences([*said, *conditions], lang))
        body = m.text(chosen.reward, lang) if chosen.reward else ""
        if not body or ("reward" not in flags and not chosen.how_to_join):
            body = m.text(chosen.description, lang)
        join = m.text(chosen.how_to_join, lang) if chosen.how_to_join else ""
        text = join_sentences([end_sentence(body, lang), join], lang) if join else body
        text = join_sentences([end_sentence(text, lang), *conditions], lang)
        return template(lang, "campaign").format(name=m.text(chosen.name, lang), text=text)


def _is_cod_method(method: str) -> bool:
    return "cash on delivery" in method.casefold() or "cod" in method.casefold().split()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


def first_sentence(text: str) -> str:
    """The first sentence of a policy note (Thai marks none: the whole note is kept)."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0] if text else ""


def end_sentence(text: str, lang: str) -> str:
    """Operators often leave the final period off a one-line text; add it before joining."""
    if not text or text[-1] in ".!?。！？" or lang == "th":
        return text
    return text + ("。" if lang in ("ja", "zh") else ".")
