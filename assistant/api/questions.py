"""Operators' view of what the bot could not answer: per market, the unanswered questions grouped
and counted, and the way to close the gap - turn a group into an FAQ entry (published like any
edit: validated, versioned, live at once) or dismiss it. Operator role; audited like the rest
of the operator API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.operator import Operator, editor_of, run_audited
from assistant.handoff.questions import DISMISSED, FAQ, QuestionGroup, UnansweredQuestions
from assistant.operator.editor import OperatorError

router = APIRouter(prefix="/v1/operator", tags=["operator"])


class UnknownQuestion(OperatorError):
    status, code = 404, "unknown_question"


class InvalidStatus(OperatorError):
    status, code = 422, "invalid_status"


class ToFaq(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base_version: int
    answer: dict[str, str] = Field(min_length=1, description="the answer in every language")
    questions: dict[str, list[str]] | None = Field(
        default=None, description="how viewers ask it; default: the group's wordings")
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")


def _questions(request: Request) -> UnansweredQuestions:
    return request.app.state.chat.questions


def _group(request: Request, market_id: str, group_id: str) -> QuestionGroup:
    g = _questions(request).get(group_id)
    if g is None or g.market != market_id:
        raise UnknownQuestion(f"market {market_id!r} has no unanswered question {group_id!r}")
    return g


@router.get("/markets/{market_id}/questions")
def list_questions(market_id: str, request: Request, who: str = Operator,
                   status: str = Query("open", description="open, faq, dismissed or all"),
                   limit: int = Query(100, ge=1, le=1000)) -> Any:
    def do() -> tuple[dict, str]:
        editor_of(request).read(market_id)  # 404 for an unknown market
        try:
            groups = _questions(request).groups(market_id, status=status, limit=limit)
        except ValueError as e:
            raise InvalidStatus(str(e)) from None
        return {"market": market_id, "questions": [g.to_dict() for g in groups]}, ""

    return run_audited(request, who, market_id, do)


@router.post("/markets/{market_id}/questions/{group_id}/faq")
def question_to_faq(market_id: str, group_id: str, body: ToFaq, request: Request,
                    who: str = Operator) -> Any:
    def do() -> tuple[dict, str]:
        editor = editor_of(request)
        group = _group(request, market_id, group_id)
        asked: dict[str, list[str]] = {}
        for e in (*group.examples, {"text": group.text, "lang": group.lang}):
            wordings = asked.setdefault(e["lang"], [])
            if e["text"] not in wordings:
                wordings.append(e["text"])
        entry = {"id": body.id or f"asked-{group.id[:8]}",
                 "questions": body.questions or asked, "answer": body.answer}
        faq = list(editor.read(market_id).get("faq") or [])
        faq.append(entry)
        v, _ = editor.update(market_id, {"faq": faq}, base_version=body.base_version, who=who)
        resolved = _questions(request).resolve(group.id, status=FAQ, faq_id=entry["id"])
        return ({"question": resolved.to_dict(), "faq": entry, **v.meta()},
                f"question {group.id} -> faq {entry['id']} (version {v.version})")

    return run_audited(request, who, market_id, do)


@router.post("/markets/{market_id}/questions/{group_id}/dismiss")
def dismiss_question(market_id: str, group_id: str, request: Request,
                     who: str = Operator) -> Any:
    def do() -> tuple[dict, str]:
        group = _group(request, market_id, group_id)
        return ({"question": _questions(request).resolve(group.id, status=DISMISSED).to_dict()},
                f"question {group.id} dismissed")

    return run_audited(request, who, market_id, do)
