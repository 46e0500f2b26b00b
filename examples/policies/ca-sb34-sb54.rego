# California SB 34 + SB 54 as Rego: the built-in pack ca-sb34-sb54 (scenarios/builtin/policies),
# decision for decision on the standard corpus (tests/service/test_policy_languages.py).
# Input: docs/policies.md. Keywords are matched on input.words.* (casefolded words,
# space-separated, a space at each end), as our keyword operator matches whole words.
package alprsim

import rego.v1

immigration := {" immigration ", " immigrant ", " immigrants ", " ice ", " ero ", " ice ero ", " hsi ", " cbp ", " uscis ", " border patrol ", " deportation ", " deport ", " deportee ", " removal order ", " enforcement and removal ", " illegal alien ", " undocumented ", " visa overstay ", " 8 usc 1325 ", " 8 u s c 1325 ", " i 247 ", " immigration detainer "}

exceptions := {" 1326 ", " 8 usc 1326 ", " 8 u s c 1326 ", " aggravated felony ", " criminal history "}

federal_text := {" fbi ", " dea ", " atf ", " usms ", " us marshals ", " u s marshals ", " marshals service ", " dhs ", " homeland security ", " ice ", " ero ", " hsi ", " cbp ", " usbp ", " border patrol ", " federal agency ", " federal partner ", " feds ", " out of state ", " out of state agency "}

california if input.owner.state == "CA"

says(text, keywords) if {
	some k in keywords
	contains(text, k)
}

# the open baseline: what the sharing graph reaches is shared
default allow := true

# SB 34 (Civil Code 1798.90.55(b), 1798.90.5(f)): California public agencies only
deny contains "sb34-federal" if {
	california
	input.requester.kind == "federal"
}

deny contains "sb34-private" if {
	california
	input.requester.kind == "private"
}

deny contains "sb34-out-of-state" if {
	california
	input.requester.kind == "out_of_state"
}

deny contains "sb34-out-of-state" if {
	california
	input.requester.state != "CA"
}

# SB 54 (Government Code 7284.6(a)(1)) with 7284.6(b)'s exceptions
sb54_exception if says(input.words.declared, exceptions)

sb54_exception if {
	"task_force" in input.requester.tags
	input.request.has_offense_type
	not says(input.words.offense_type, immigration)
}

deny contains "sb54-immigration" if {
	california
	says(input.words.declared, immigration)
	not sb54_exception
}

# SB 34's transfer ban read against the declared beneficiary
deny contains "sb34-declared-beneficiary" if {
	california
	input.beneficiary.kind in {"federal", "out_of_state", "private"}
}

deny contains "sb34-declared-beneficiary-state" if {
	california
	input.beneficiary.registered
	input.beneficiary.state != "CA"
}

deny contains "sb34-declared-federal-text" if {
	california
	says(input.words.declared, federal_text)
}
