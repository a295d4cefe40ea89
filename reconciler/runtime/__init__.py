"""The small API an application imports: which version of `NAME` serves right now, and how to call it.

On the Responses-era platform a version is a release bundle in the store; the application keeps its own
`OpenAI` client (the runtime never holds an API key) and passes the bundle's arguments to each call:

```python
from reconciler.runtime import Router

router = Router("sqlite:////srv/app/.reconcile/state.db", workspace="openai")
release = router.release("CorporateAssist")  # what `stable` names, as `reconcile resolve` prints
response = client.responses.create(**release.responses_kwargs(), conversation=conv.id, input=text)
```

`release.name`, `.version` and `.fingerprint` say which version answered, and so does every response:
its metadata carries `reconciler/name` and `reconciler/version`. On an Assistants-v2 platform a version
is a platform assistant: `router.assistant_id(name)` is its id.

Answers are cached for `ttl_seconds` (2 s by default) so a busy application does not read the store on
every request. Staleness is bounded two ways:

* in this process, a pointer move made through `reconciler.rollout` (rollback, promote) or by an apply run
  through `reconciler.service` (a new version, or an assistant destroyed, which clears its pointers)
  invalidates the cached answer immediately (`rollout.events`);
* in other processes - a `reconcile rollback` run from a shell, or an apply on a CI runner - nothing is
  signalled, so a router keeps serving the old id for at most `ttl_seconds` after the move commits.
  Choose the TTL as the longest you accept serving the old version after a rollback (0 disables caching).

The stop button is not bound by the TTL. After `reconcile stop NAME` commits, `release(NAME)`,
`assistant_id(NAME)` and `assign(NAME, ...)` raise `Stopped` (name, reason, who, when), and the
application serves its fallback, until `reconcile start NAME`. Every lookup first asks the store's stop
watch whether the stop state may have changed, and re-reads the current stops only when it did: on SQLite
the watch reads the connection's `PRAGMA data_version` (the next lookup after the commit refuses), on
PostgreSQL a listening connection counts the stop notices as they arrive (no round trip per lookup).

Conversations are sticky (`router.assign(NAME, conversation_id)`): a new conversation is pinned, in the
store, to a version - the canary's for a stable share of new conversations while a canary rollout of NAME
is active (its `weight` percent), else what `stable` names - and every later turn, in any process, gets
the same version for the conversation's life; raising the weight moves no conversation. A conversation
this router has seen is answered from memory; a rollout change (seen through the same watch as the stops)
drops the cached pins of that assistant, since an abort with `onAbort: stable` rewrites them.

```python
release = router.assign("CorporateAssist", conversation.id)
started = time.perf_counter()
response = client.responses.create(**release.responses_kwargs(), conversation=conversation.id, input=text)
router.observe(release, response, latency_s=time.perf_counter() - started, conversation=conversation.id)
```

A conversation that `reconcile conversations migrate` copied to a newer version (its tools' schemas
drifted) continues in the copy: `router.route(NAME, conversation_id)` says which conversation to send the
turn to and which release serves it (the old conversation stays pinned to its old version; nothing moves
under a conversation in flight except by a migration).

```python
route = router.route("CorporateAssist", conversation_id)
response = client.responses.create(**route.release.responses_kwargs(), conversation=route.conversation,
                                   input=text)
```

`observe` and `tool_error` (the application's handler for a tool failed) only queue what they are given;
a daemon thread per router summarises, validates tool-call arguments against the release's tool schemas
and writes per-second sums to the store every `flush_seconds` (`runtime.telemetry`), which the canary's
analysis reads. `close()` (or leaving the `with` block) flushes what is left.
"""

from reconciler.rollout.pointers import AssistantNotDeployed
from reconciler.runtime.release import NotABundle, Release, Route, Stopped, VersionGone
from reconciler.runtime.router import DEFAULT_TTL_SECONDS, Router, resolve_assistant

__all__ = [
    "DEFAULT_TTL_SECONDS",
    "AssistantNotDeployed",
    "NotABundle",
    "Release",
    "Route",
    "Router",
    "Stopped",
    "VersionGone",
    "resolve_assistant",
]
