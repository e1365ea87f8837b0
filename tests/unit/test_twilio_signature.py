"""X-Twilio-Signature against Twilio's published vectors (twilio-python/php/csharp tests)."""

from __future__ import annotations

from pillarwatch.ingest.twilio_signature import compute_signature, validate

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]
SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_documented_vector() -> None:
    assert compute_signature(URL, PARAMS, "12345") == SIGNATURE
    assert validate(URL, reversed(PARAMS), SIGNATURE, "12345")


def test_repeated_parameters_vector() -> None:
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"),
                ("Digits", "1234"), ("Digits", "1234")]  # fmt: skip
    assert compute_signature(URL, repeated, "12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_explicit_default_port_is_accepted() -> None:
    assert validate("https://mycompany.com:443/myapp.php?foo=1&bar=2", PARAMS, SIGNATURE, "12345")


def test_any_change_fails() -> None:
    assert not validate(URL, PARAMS, SIGNATURE, "other-token")
    assert not validate(URL + "&x=1", PARAMS, SIGNATURE, "12345")
    assert not validate(URL, [*PARAMS[:-1], ("To", "+18005550000")], SIGNATURE, "12345")
    assert not validate(URL, PARAMS, None, "12345")
    assert not validate(URL, PARAMS, SIGNATURE, "")
