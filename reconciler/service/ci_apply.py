"""`reconcile ci apply`: on a merge, apply what the pull request's reviewers saw, and nothing else.

What was reviewed is read from GitHub: the merged pull request of the pushed commit (or `--pr`), its plan
comment for the target (written by the workflow's bot; its hidden line names the plan id and head SHA),
and the plan saved at that SHA (`--plan FILE`, or the plan job's artifact). Then:

1. the saved plan is the reviewed one and still fresh: it is applied exactly;
2. otherwise a new plan is made under the apply's lock, and applied only when its content id is the
   reviewed one (the platform and the manifests are as they were at review);
3. otherwise nothing is applied: the pull request gets a comment saying the plan changed since review,
   with both ids and the new plan, and the command fails in one line.

No reviewed plan (a push that no pull request merged) is refused unless `allow_unreviewed` (a
workflow_dispatch, whose approval in the GitHub environment is the review): then a fresh plan is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.apply.report import ApplyReport
from reconciler.errors import PlanFileError, PlanRejected, PlatformError, StalePlan, UserError
from reconciler.gitops import artifact, comment, event, review
from reconciler.gitops.github import GitHub
from reconciler.plan.definition import Plan
from reconciler.service import apply as apply_workspace
from reconciler.service.ci import upsert_comment
from reconciler.service.workspace import Workspace


@dataclass(frozen=True)
class Review:
    """The reviewed plan of a pull request: where it was shown and what it was."""

    pr: int
    plan_id: str
    head_sha: str
    url: str


@dataclass(frozen=True)
class Applied:
    plan: Plan
    report: ApplyReport | None  # None: nothing to apply


@dataclass(frozen=True)
class Options:
    """How `apply_reviewed` finds the review and runs the apply (the CLI's flags and callbacks)."""

    plan_file: Path | None = None
    sha: str = ""
    pr: int | None = None
    allow_unreviewed: bool = False
    author: str = review.BOT


# Applies the saved plan given (None: a new plan) once `confirm` agrees: service.apply with the CLI's options.
ApplyFunction = Callable[[Plan | None, Callable[[Plan], bool]], tuple[Plan, ApplyReport | None]]


def apply_reviewed(
    ws: Workspace,
    *,
    environ: Mapping[str, str],
    options: Options,
    say: Callable[[str], None],
    render_markdown: Callable[[Plan], str],
    show: Callable[[Plan], None] = lambda _plan: None,
    run_apply: ApplyFunction | None = None,
) -> Applied:
    """Apply the reviewed plan of the pushed commit, as the module docstring says. `say` hears one line
    per decision; `show` sees a plan just before it is applied; `render_markdown` renders the plan the
    refusal comment shows; `run_apply` (default: `service.apply` with its defaults) applies."""

    def default_apply(saved: Plan | None, confirm: Callable[[Plan], bool]) -> tuple[Plan, ApplyReport | None]:
        return apply_workspace(ws, saved_plan=saved, confirm=confirm)

    run = run_apply or default_apply
    client = GitHub.from_env(environ, event.repository(environ))
    sha = options.sha or (environ.get("GITHUB_SHA") or "").strip()
    found = find_review(client, target=ws.name, sha=sha, options=options, say=say)
    if found is None:
        if not options.allow_unreviewed:
            raise UserError(
                f"no reviewed plan for {ws.name} at {sha[:12] or 'this commit'}: no merged pull request with "
                "a plan comment; refusing to apply (a workflow_dispatch may pass --allow-unreviewed)"
            )
        say(f"No reviewed plan for {ws.name}: --allow-unreviewed, so a fresh plan is applied.")
        plan, report = run(None, _showing(show))
        if report is None:
            say(f"The new plan {plan.plan_id} has no changes: nothing to apply.")
        return Applied(plan, report)

    saved = _saved_plan(client, found, target=ws.name, plan_file=options.plan_file, say=say)
    if saved is not None and saved.plan_id == found.plan_id:

        def fresh(plan: Plan) -> bool:
            say(f"The saved plan {saved.plan_id} is the reviewed plan and still fresh: applying it exactly.")
            show(plan)
            return True

        try:
            plan, report = run(saved, fresh)
        except StalePlan as stale:
            say(f"The saved plan {saved.plan_id} is stale ({stale.one_line()}): planning again.")
        else:
            if report is None:
                say(f"The reviewed plan {saved.plan_id} has no changes: nothing to apply.")
            return Applied(plan, report)
    elif saved is not None:
        say(f"The saved plan {saved.plan_id} is not the reviewed plan {found.plan_id}: planning again.")

    def reviewed(plan: Plan) -> bool:
        if plan.plan_id != found.plan_id:
            return False
        say(f"The new plan {plan.plan_id} is the reviewed plan: applying it.")
        show(plan)
        return True

    plan, report = run(None, reviewed)
    if report is not None:
        return Applied(plan, report)
    if not plan.has_changes:
        say(f"The new plan {plan.plan_id} has no changes: nothing to apply.")
        return Applied(plan, None)
    posted = _refusal_comment(client, found, plan, sha=sha, target=ws.name, render=render_markdown)
    raise PlanRejected(
        f"the plan for {ws.name} changed since it was reviewed on pull request #{found.pr} (reviewed "
        f"{found.plan_id}, now {plan.plan_id}): nothing was applied; {posted}"
    )


def find_review(
    client: GitHub, *, target: str, sha: str, options: Options, say: Callable[[str], None]
) -> Review | None:
    """The plan reviewed for `target` on the pull request that merged `sha` (or `options.pr`), or None
    when there is no such pull request or no plan comment by `options.author` on it."""
    number = options.pr
    if number is None:
        if not sha:
            raise UserError("no commit to look up: set GITHUB_SHA or pass --sha (or --pr N)")
        pull = review.merged_pull(client.commit_pulls(sha), sha)
        if pull is None:
            say(f"No merged pull request for commit {sha[:12]}.")
            return None
        number = int(pull["number"])
    mark = comment.marker(target)
    ours = comment.find(review.by_author(client.comments(number), options.author), mark)
    if ours is None:
        say(f"Pull request #{number} has no plan comment for {target} by {options.author}.")
        return None
    seen = review.parse_reviewed(str(ours["body"]))
    if seen is None:
        say(f"The plan comment for {target} on pull request #{number} names no reviewed plan.")
        return None
    url = str(ours.get("html_url", ""))
    at = f" at {seen.head_sha[:12]}" if seen.head_sha else ""
    say(f"Reviewed on pull request #{number}: plan {seen.plan_id}{at} ({url}).")
    return Review(number, seen.plan_id, seen.head_sha, url)


def _saved_plan(
    client: GitHub, found: Review, *, target: str, plan_file: Path | None, say: Callable[[str], None]
) -> Plan | None:
    """The plan saved at review time: `plan_file`, or the plan job's artifact for the reviewed head SHA.
    One that is missing or unreadable is None (the apply then plans again and compares ids)."""
    try:
        if plan_file is not None:
            try:
                return Plan.load(plan_file.read_bytes(), source=str(plan_file))
            except OSError as error:
                raise PlanFileError(f"{plan_file}: cannot read it: {error.strerror or error}") from None
        if not found.head_sha:
            say("The plan comment names no head SHA: no saved plan to look up; planning again.")
            return None
        name = review.artifact_name(target, found.head_sha)
        chosen = review.newest_artifact(client.artifacts(name), name)
        if chosen is None:
            say(f"No artifact {name} (expired, or never uploaded): planning again.")
            return None
        data = client.download_artifact(int(chosen["id"]), limit=artifact.MAX_PLAN_BYTES)
        return Plan.load(artifact.plan_from_zip(data, source=f"artifact {name}"), source=f"artifact {name}")
    except (PlanFileError, PlatformError) as error:
        say(f"No usable saved plan ({error.one_line()}): planning again.")
        return None


def _showing(show: Callable[[Plan], None]) -> Callable[[Plan], bool]:
    def confirm(plan: Plan) -> bool:
        show(plan)
        return True

    return confirm


def _refusal_comment(
    client: GitHub, found: Review, plan: Plan, *, sha: str, target: str, render: Callable[[Plan], str]
) -> str:
    """Tell the pull request that its plan was not applied (one comment per target, updated in place);
    what to say in the error line about it."""
    mark = review.apply_marker(target)
    shown = render(plan)
    first, _, rest = shown.partition("\n")
    if first.startswith(comment.MARKER_PREFIX):
        shown = rest
    name = comment.safe_target(target)
    at = f" at `{sha[:12]}`" if sha else ""
    body = (
        f"{mark}\n## Not applied to `{name}`: the plan changed since review\n\n"
        f"The plan reviewed here was `{found.plan_id}`; planned again after the merge{at}, it is "
        f"`{plan.plan_id}`. The platform or the manifests changed in between, so **nothing was applied**. "
        "Review the new plan below, then apply it through a new pull request or a dispatch of the apply "
        "workflow.\n\n" + shown
    )
    try:
        posted = upsert_comment(client, found.pr, mark, comment.fit(body))
    except PlatformError as error:
        return f"the pull request could not be told ({error.one_line()})"
    return f"{posted.action} a comment on it: {posted.url}"
