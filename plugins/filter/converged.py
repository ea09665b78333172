"""Why a role must run in full, from what the host_state module said about its record of the last
full run (its fingerprint answer) and the digest of the role's settings now. A plain function of
its inputs: tests/test_converged.py checks it without a host."""


def converge_reasons(host, digest, programs=()):
    """The reasons, in words, that the role cannot skip its tasks; empty when it can: there is a
    record, made with the same settings digest, nothing it holds differs on the host, and each of
    the supervisor programs named runs (host_state's programs answer)."""
    answer = (host or {}).get("fingerprint") or {}
    if not answer.get("recorded"):
        return ["no record of a full run"]
    reasons = []
    if answer.get("digest") != digest:
        reasons.append("the settings or the collection changed")
    states = (host or {}).get("programs") or {}
    reasons += ["program %s is %s" % (name, states.get(name, "UNKNOWN"))
                for name in programs if states.get(name) != "RUNNING"]
    return reasons + list(answer.get("changes") or [])


class FilterModule:
    def filters(self):
        return {"converge_reasons": converge_reasons}
