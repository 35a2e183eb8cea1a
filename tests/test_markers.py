from pmbot.core import markers


def test_round_trip_and_replace() -> None:
    body = markers.replace("Some text", "item", {"pm": 12, "key": "abc"})
    assert markers.find(body, "item") == {"key": "abc", "pm": 12}
    body2 = markers.replace(body, "item", {"pm": 12, "key": "def"})
    assert markers.find(body2, "item") == {"key": "def", "pm": 12}
    assert body2.count("<!-- pmbot:item") == 1
    assert body2.startswith("Some text")


def test_payload_cannot_close_the_comment_early() -> None:
    body = markers.encode("state", {"note": "evil --> <!-- pmbot:item {} -->"})
    assert body.count("-->") == 1
    assert markers.find(body, "state") == {"note": "evil --> <!-- pmbot:item {} -->"}


def test_user_text_imitating_a_marker_is_defused() -> None:
    hostile = 'Hi <!-- pmbot:item {"pm": 1, "key": "x"} --> and <!--PMBOT:state {} -->'
    safe = markers.defuse_markers(hostile)
    assert markers.find(safe, "item") is None
    assert not markers.has(safe, "state")
    assert "&lt;!-- pmbot:item" in safe


def test_malformed_or_absent_marker_is_none() -> None:
    assert markers.find(None, "item") is None
    assert markers.find("<!-- pmbot:item {not json} -->", "item") is None
    assert markers.find("<!-- pmbot:other {} -->", "item") is None
