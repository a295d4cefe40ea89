"""Hand-built Plans the renderer tests share: every action, drift, verdicts, versions and hostile strings.

The planner is written separately; these fixtures follow plan/definition.py and model/specs.py so the
renderers are tested against the contract, not against one planner's habits.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reconciler.model.estimates import BudgetCheck, BudgetStatus, CostEstimate, CostLine
from reconciler.plan.definition import Action, Drift, FieldChange, Plan, ResourceChange, Stage

CREATED_AT = 1_700_000_000.0

MEETING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "Meeting title"},
        "start": {"type": "string", "format": "date-time"},
        "attendees": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["title", "start", "attendees"],
    "additionalProperties": False,
}

INSTRUCTIONS = (
    "You are CorporateAssist, the internal helpdesk assistant.\n"
    "Answer from the policy documents only.\n"
    "Book meetings with create_meeting when asked.\n"
    "Never share salary data."
)


def assistant_spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "CorporateAssist",
        "model": "gpt-4o",
        "instructions": INSTRUCTIONS,
        "description": "Helpdesk",
        "tools": [
            {
                "type": "function",
                "name": "create_meeting",
                "description": "Book a meeting",
                "parameters": MEETING_SCHEMA,
                "strict": True,
            },
            {"type": "file_search"},
        ],
        "file_search_vector_stores": ["Policies"],
        "code_interpreter_files": [],
        "temperature": 1.0,
        "top_p": 1.0,
        "response_format": "auto",
        "reasoning_effort": None,
        "metadata": {"team": "it"},
    }
    spec.update(overrides)
    return spec


def vector_store_spec(name: str = "Policies") -> dict[str, Any]:
    return {"name": name, "expires_after_days": None, "metadata": {}, "chunking": {"type": "auto"}}


def vs_file_spec(path: str, sha: str) -> dict[str, Any]:
    return {"path": path, "sha256": sha, "attributes": {"source": path}}


def spend_alert_spec(threshold: int) -> dict[str, Any]:
    return {
        "scope": "proj_abc",
        "threshold_cents": threshold,
        "interval": "month",
        "emails": ["ops@example.com"],
        "subject_prefix": None,
    }


def change(address: str, stage: Stage, action: Action, reason: str, **kw: Any) -> ResourceChange:
    kind, _, name = address.partition("/")
    return ResourceChange(
        address=address, kind=kind, name=name, stage=stage, action=action, reason=reason, **kw
    )


def empty() -> Plan:
    return Plan(workspace="default", plan_id="p-empty", created_at=CREATED_AT)


def noop_only() -> Plan:
    return Plan(
        workspace="default",
        plan_id="p-noop",
        created_at=CREATED_AT,
        changes=(
            change(
                "VectorStore/Policies",
                Stage.VECTOR_STORES,
                Action.NOOP,
                "up to date",
                platform_id="vs_1",
                spec=vector_store_spec(),
            ),
            change(
                "Assistant/CorporateAssist",
                Stage.ASSISTANTS,
                Action.NOOP,
                "up to date",
                platform_id="asst_1",
                spec=assistant_spec(),
            ),
        ),
    )


def adopt_only() -> Plan:
    """A plan after the state was lost: labelled objects are adopted, nothing else changes."""
    return Plan(
        workspace="default",
        plan_id="p-adopt",
        created_at=CREATED_AT,
        changes=(
            change(
                "VectorStore/Policies",
                Stage.VECTOR_STORES,
                Action.NOOP,
                "adopting an object we labelled that the inventory does not record",
                platform_id="vs_1",
                spec=vector_store_spec(),
                adopt=True,
            ),
            change(
                "VectorStore/Archive",
                Stage.VECTOR_STORES,
                Action.NOOP,
                "up to date",
                platform_id="vs_2",
                spec=vector_store_spec("Archive"),
            ),
            change(
                "Assistant/CorporateAssist",
                Stage.ASSISTANTS,
                Action.NOOP,
                "adopting a labelled assistant the state does not record",
                platform_id="asst_1",
                spec=assistant_spec(),
                adopt=True,
            ),
        ),
    )


def create_all() -> Plan:
    """A first apply: files, a vector store, its files, an assistant with tools, a spend alert."""
    return Plan(
        workspace="default",
        plan_id="p-create",
        created_at=CREATED_AT,
        changes=(
            change(
                "File/docs/rules.md",
                Stage.FILES,
                Action.CREATE,
                "not on the platform",
                spec={"path": "docs/rules.md", "sha256": "a" * 64, "size": 1200},
            ),
            change(
                "VectorStore/Policies",
                Stage.VECTOR_STORES,
                Action.CREATE,
                "not on the platform",
                spec=vector_store_spec(),
            ),
            change(
                "VectorStoreFile/Policies/docs/rules.md",
                Stage.VECTOR_STORE_FILES,
                Action.CREATE,
                "new file",
                spec=vs_file_spec("docs/rules.md", "a" * 64),
                depends_on=("File/docs/rules.md", "VectorStore/Policies"),
            ),
            change(
                "Assistant/CorporateAssist",
                Stage.ASSISTANTS,
                Action.CREATE,
                "not on the platform",
                spec=assistant_spec(),
                depends_on=("VectorStore/Policies",),
                payload={
                    "version": {"number": 1, "parent": None, "strategy": "immutable"},
                    # what the planner says of a canary (here on a version with a parent, in real plans)
                    "rollout_note": "canary: stable stays on version 1 while version 2 goes through smoke "
                    "(1 check) → weight 10 % → analysis tool-health → weight 50 % → weight 100 % "
                    "(on abort: stable)",
                },
            ),
            change(
                "SpendAlert/monthly",
                Stage.SPEND,
                Action.CREATE,
                "not on the platform",
                spec=spend_alert_spec(50_000),
                # The planner's diff against nothing: one change at the root holding the whole spec.
                changes=(FieldChange(path="", before={}, after=spend_alert_spec(50_000)),),
            ),
        ),
    )


def schema_change_verdict(accepted: str | None) -> dict[str, Any]:
    return {
        "tools": {
            "create_meeting": {
                "backward": "no",
                "forward": "yes",
                "findings": [
                    {
                        "pointer": "/required",
                        "rule": "OBJ-06",
                        "message": "required property 'location' added: old calls lack it",
                    }
                ],
            },
            "lookup_policy": {"backward": "unknown", "forward": "unknown", "findings": []},
        },
        "policy": "backward",
        "satisfied": False,
        "accepted": accepted,
    }


def update_assistant() -> Plan:
    """In-place update: model, instructions, a nested tool-schema edit, metadata; a breaking verdict."""
    new_instructions = INSTRUCTIONS.replace("Book meetings", "Book meetings (with a location)")
    return Plan(
        workspace="staging",
        plan_id="p-update",
        created_at=CREATED_AT,
        changes=(
            change(
                "Assistant/CorporateAssist",
                Stage.ASSISTANTS,
                Action.UPDATE,
                "behaviour changed (versioning: in-place)",
                platform_id="asst_1",
                spec=assistant_spec(model="gpt-4.1", instructions=new_instructions),
                live_hash="h1",
                changes=(
                    FieldChange(path="model", before="gpt-4o", after="gpt-4.1"),
                    FieldChange(path="instructions", before=INSTRUCTIONS, after=new_instructions),
                    FieldChange(
                        path="tools[create_meeting].parameters.required",
                        before=["title", "start", "attendees"],
                        after=["title", "start", "attendees", "location"],
                    ),
                    FieldChange(
                        path="tools[create_meeting].parameters.properties.location",
                        after={"type": "string", "description": "Room or video link for the meeting"},
                        kind="added",
                    ),
                    FieldChange(path="metadata.owner", before="it", kind="removed"),
                ),
                payload={"verdict": schema_change_verdict(None)},
            ),
        ),
    )


def transitive_verdict() -> Plan:
    """Issue 17: version 3 keeps its parent's tools (compatible with v2) but breaks v1, which live
    conversations still use: the verdict is breaking and names v1 with its conversations."""
    return Plan(
        workspace="prod",
        plan_id="p-transitive",
        created_at=CREATED_AT,
        changes=(
            change(
                "Assistant/CorporateAssist",
                Stage.ASSISTANTS,
                Action.CREATE,
                "behaviour changed: version 3 (parent 2)",
                spec=assistant_spec(instructions="Be brief."),
                changes=(FieldChange(path="instructions", before=INSTRUCTIONS, after="Be brief."),),
                payload={
                    "version": {"number": 3, "parent": 2, "bundle": True},
                    "verdict": {
                        "tools": {},
                        "policy": "backward",
                        "satisfied": False,
                        "violations": [
                            "tool list_expenses: OBJ-06 at /required: required property 'from' added: old "
                            "calls lack it (backward no, forward yes) (against version 1, used by 312 live "
                            "conversations)"
                        ],
                        "breaking": [{"tool": "list_expenses", "pointer": "/required", "rule": "OBJ-06"}],
                        "against": [
                            {
                                "version": 1,
                                "conversations": 312,
                                "satisfied": False,
                                "broken": {
                                    "list_expenses": ["required property 'from' added: old calls lack it"]
                                },
                            },
                            {"version": 2, "conversations": 40, "parent": True, "satisfied": True},
                        ],
                    },
                },
            ),
        ),
    )


def mixed() -> Plan:
    """Every action at once, with protect, adopt, a new version, vector-store files, spend and drift."""
    return Plan(
        workspace="production",
        plan_id="p-mixed",
        created_at=CREATED_AT,
        changes=(
            change(
                "File/docs/rules.md",
                Stage.FILES,
                Action.REPLACE,
                "content changed (sha256 differs); files are immutable",
                platform_id="file_1",
                spec={"path": "docs/rules.md", "sha256": "b" * 64, "size": 1300},
                changes=(FieldChange(path="sha256", before="a" * 64, after="b" * 64),),
            ),
            change(
                "VectorStore/Policies",
                Stage.VECTOR_STORES,
                Action.NOOP,
                "up to date",
                platform_id="vs_1",
                spec=vector_store_spec(),
                adopt=True,
            ),
            change(
                "VectorStore/Archive",
                Stage.VECTOR_STORES,
                Action.NOOP,
                "up to date",
                platform_id="vs_2",
                spec=vector_store_spec("Archive"),
            ),
            change(
                "VectorStoreFile/Policies/docs/rules.md",
                Stage.VECTOR_STORE_FILES,
                Action.REPLACE,
                "content changed",
                platform_id="vsf_1",
                spec=vs_file_spec("docs/rules.md", "b" * 64),
                changes=(FieldChange(path="attributes.sha256", before="a" * 64, after="b" * 64),),
            ),
            change(
                "VectorStoreFile/Policies/docs/old.md",
                Stage.VECTOR_STORE_FILES,
                Action.DELETE,
                "removed from the manifests",
                platform_id="vsf_2",
            ),
            change(
                "Assistant/CorporateAssist",
                Stage.ASSISTANTS,
                Action.CREATE,
                "behaviour changed: new immutable version",
                spec=assistant_spec(model="gpt-4.1"),
                changes=(FieldChange(path="model", before="gpt-4o", after="gpt-4.1"),),
                payload={
                    "version": {"number": 2, "parent": 1, "strategy": "immutable"},
                    "verdict": schema_change_verdict("partners migrated in ticket OPS-12"),
                },
            ),
            change(
                "Assistant/Legacy",
                Stage.ASSISTANTS,
                Action.DELETE,
                "removed from the manifests",
                platform_id="asst_9",
                protect=True,
                changes=(
                    FieldChange(
                        path="", before=assistant_spec(name="Legacy", tools=[], metadata={}), after={}
                    ),
                ),
            ),
            change(
                "SpendAlert/monthly",
                Stage.SPEND,
                Action.UPDATE,
                "threshold changed",
                platform_id="alert_1",
                spec=spend_alert_spec(75_000),
                changes=(FieldChange(path="threshold_cents", before=50_000, after=75_000),),
            ),
            change(
                "SpendLimit/project",
                Stage.SPEND,
                Action.UPDATE,
                "limit changed",
                platform_id="proj_abc",
                spec={"scope": "proj_abc", "amount_cents": 200_000, "interval": "month"},
                changes=(FieldChange(path="amount_cents", before=100_000, after=200_000),),
            ),
        ),
        drift=(
            Drift(
                address="Assistant/CorporateAssist",
                platform_id="asst_1",
                reason="edited in the dashboard",
                changes=(FieldChange(path="temperature", before=1.0, after=0.2),),
            ),
            Drift(
                address="VectorStore/Policies",
                platform_id="vs_1",
                reason="a file was attached by hand",
                changes=(FieldChange(path="files[notes.txt]", after={"sha256": "c" * 64}, kind="added"),),
            ),
        ),
        warnings=("SpendLimit is read with the admin key; OPENAI_ADMIN_KEY is set",),
    )


def drift_only() -> Plan:
    return Plan(
        workspace="default",
        plan_id="p-drift",
        created_at=CREATED_AT,
        changes=(
            change(
                "Assistant/CorporateAssist",
                Stage.ASSISTANTS,
                Action.NOOP,
                "up to date",
                platform_id="asst_1",
                spec=assistant_spec(),
            ),
        ),
        drift=(
            Drift(
                address="Assistant/CorporateAssist",
                platform_id="asst_1",
                reason="metadata edited outside reconciler",
                changes=(FieldChange(path="metadata.note", after="hand edit", kind="added"),),
            ),
        ),
    )


HOSTILE = "<img src=x onerror=alert(1)> **bold** | pipe `tick` ```fence``` @everyone \x1b[31mred"


def hostile() -> Plan:
    """User strings that try to inject HTML, Markdown, table cells, code fences or terminal escapes."""
    return Plan(
        workspace="evil --> <b>ws</b>",
        plan_id="p-hostile",
        created_at=CREATED_AT,
        changes=(
            change(
                "Assistant/<script>alert(1)</script>",
                Stage.ASSISTANTS,
                Action.UPDATE,
                HOSTILE,
                platform_id="asst_x",
                spec=assistant_spec(name="<script>alert(1)</script>"),
                changes=(
                    FieldChange(path="instructions", before="hello\n```\n</details>", after=HOSTILE),
                    FieldChange(path="description", before="x", after="</summary><b>y</b>"),
                ),
                payload={
                    "verdict": {
                        "tools": {
                            "<b>t|x</b>": {
                                "backward": "no",
                                "forward": "no",
                                "findings": [{"pointer": "/a|b", "rule": "R", "message": HOSTILE}],
                            }
                        },
                        "policy": "full",
                        "satisfied": False,
                        "accepted": None,
                    }
                },
            ),
        ),
        drift=(Drift(address="Assistant/<i>x</i>", platform_id="asst_y", reason=HOSTILE),),
    )


# Bidi controls (right-to-left override, isolates, marks), zero-width and tag characters: invisible or
# reordering text, so a name could read as another name in a terminal or a PR comment.
RLO = "\u202e"
SPOOF = f"invoice{RLO}fdp.exe \u2066isolated\u2069 zero\u200bwidth \u061cmark tag\U000e0041 c1\x85"


def spoofing() -> Plan:
    """Names and text carrying invisible characters: each must show as an escape, never raw."""
    return Plan(
        workspace=f"prod{RLO}dorp",
        plan_id="p-spoofing",
        created_at=CREATED_AT,
        changes=(
            change(
                f"Assistant/Support{RLO}troppuS",
                Stage.ASSISTANTS,
                Action.UPDATE,
                SPOOF,
                platform_id="asst_s",
                spec=assistant_spec(name=f"Support{RLO}troppuS", description=SPOOF),
                changes=(
                    FieldChange(path="description", before="Helpdesk", after=SPOOF),
                    FieldChange(path="instructions", before=INSTRUCTIONS, after=f"{INSTRUCTIONS}\n{SPOOF}"),
                    FieldChange(path=f"metadata.owner{RLO}", after=f"team{RLO}", kind="added"),
                ),
            ),
            change(
                f"VectorStore/policies{RLO}",
                Stage.VECTOR_STORES,
                Action.CREATE,
                "new",
                spec={"name": f"policies{RLO}", "metadata": {"note": SPOOF}},
            ),
        ),
        drift=(Drift(address=f"Assistant/a{RLO}b", platform_id="asst_d", reason=SPOOF),),
        warnings=(f"warning about {SPOOF}",),
    )


def costs() -> Plan:
    """The in-place update with a cost section: a changed line, an unknown one, an unchanged one, each
    budget status that shows, and a passed spend alert."""
    line = CostLine.model_validate
    estimate = CostEstimate(
        lines=(
            line(
                {
                    "address": "Assistant/CorporateAssist",
                    "before": Decimal("88.8"),
                    "after": Decimal("392.4"),
                    "basis": "gpt-4.1, 4,800 turns; 2,400 file_search calls",
                }
            ),
            line(
                {
                    "address": "Assistant/Helpdesk",
                    "before": Decimal("12.345"),
                    "after": None,
                    "unknown": "no price for model o9: add it under reconcile.yaml spec.prices.models",
                }
            ),
        ),
        unchanged=3,
        unchanged_cost=Decimal("41.5"),
        budgets=(
            BudgetCheck(
                scope="project",
                monthly=Decimal(500),
                estimate=Decimal("392.4"),
                status=BudgetStatus.WITHIN,
                message="estimate $392.40 a month, within the budget $500.00",
            ),
            BudgetCheck(
                scope="Assistant/CorporateAssist",
                monthly=Decimal(300),
                estimate=Decimal("392.4"),
                status=BudgetStatus.ACCEPTED,
                message=(
                    "estimate $392.40 a month is over the budget $300.00; accepted up to $400.00: "
                    "launch month"
                ),
            ),
            BudgetCheck(
                scope="Assistant/Helpdesk",
                monthly=Decimal(50),
                estimate=None,
                status=BudgetStatus.UNKNOWN,
                message=(
                    "the estimate is unknown (no price for model o9), so the budget $50.00 a month cannot be "
                    "checked"
                ),
            ),
        ),
        warnings=(
            "SpendAlert/monthly: the estimate $392.40 a month passes its threshold $100.00: it will alert "
            "every month",
        ),
        prices_checked="list prices checked 2026-12-07",
    )
    return update_assistant().model_copy(update={"costs": estimate, "plan_id": "p-costs"})


FIXTURES = {
    "empty": empty,
    "noop_only": noop_only,
    "adopt_only": adopt_only,
    "create_all": create_all,
    "update_assistant": update_assistant,
    "transitive_verdict": transitive_verdict,
    "mixed": mixed,
    "drift_only": drift_only,
    "hostile": hostile,
    "spoofing": spoofing,
    "costs": costs,
}
