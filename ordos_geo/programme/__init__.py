"""The remediation programme: what each zone costs (:mod:`.costs`) and which zones to fund in
which year under the budget (:mod:`.schedule`)."""
