"""Home Assistant MQTT discovery: the device announces its entities, so HA needs no YAML.

One retained config message per entity at `<prefix>/<component>/<node_id>/<object_id>/config`
(HA's per-component form, which older HA releases read too), each naming the same `device`,
so HA shows one device with:
    Reading       the digits read, as text ("0042" keeps its zeros, "52?" its doubt), cut to
                  the 255 characters HA takes for a state (a page of many lines can be longer);
                  the whole text and its lines, the confidence, the time and why a view is empty
                  as attributes
    Confidence    the reading's confidence in %
    Connectivity  connected or not, from the status topic and its Last Will
The first two are unavailable while the device is offline, so HA never shows a stale reading as
current. See https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery.
"""

import json
import re
from typing import Any

from edge import __version__

ORIGIN = {"name": "edge-digits", "sw_version": __version__}  # which software sent the config
# The longest state HA takes: a longer one is refused, and the entity shows "unknown" instead.
HA_STATE_LENGTH = 255
CUT = " …"  # how a Reading cut to HA_STATE_LENGTH ends
# The lines of writing apart, as the console and the live page show them ("123 456"), cut at the
# end of a line where one fits (jinja's truncate, with no leeway past the length).
READING_STATE = (
    "{{ (value_json.lines | join(' ') if value_json.lines else value_json.text)"
    f" | truncate({HA_STATE_LENGTH}, false, '{CUT}', 0) }}}}"
)
# The reading in full for HA's attributes, but not its digits' boxes and confidences: a page of
# many lines would pass the 16 KB above which HA's recorder stores no attribute at all.
READING_ATTRIBUTES = (
    "{{ {'text': value_json.text, 'lines': value_json.lines, "
    "'confidence': value_json.confidence, 'timestamp': value_json.timestamp, "
    "'empty_reason': value_json.get('empty_reason')} | tojson }}"
)


def node_id(device: str) -> str:
    """The device id as HA's node_id, which may hold only letters, digits, _ and -."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", device)


def discovery_configs(prefix: str, device: str, topic: str) -> dict[str, str]:
    """{config topic: JSON payload} for the device whose topics are under `topic`."""
    node = node_id(device)
    reading, status = f"{topic}/reading", f"{topic}/status"
    availability = {
        "availability_topic": status,
        "payload_available": "online",
        "payload_not_available": "offline",
    }
    entities: dict[tuple[str, str], dict[str, Any]] = {
        ("sensor", "reading"): {
            "name": "Reading",
            "state_topic": reading,
            "value_template": READING_STATE,
            "json_attributes_topic": reading,
            "json_attributes_template": READING_ATTRIBUTES,
            "icon": "mdi:numeric",
            **availability,
        },
        ("sensor", "confidence"): {
            "name": "Confidence",
            "state_topic": reading,
            # Rounded down, as the console and the page show it: 99.6 % is not certainty.
            "value_template": "{{ (value_json.confidence * 100) | round(0, 'floor') }}",
            "unit_of_measurement": "%",
            "state_class": "measurement",
            "suggested_display_precision": 0,
            "icon": "mdi:gauge",
            **availability,
        },
        # No availability: offline is this entity's state ("Disconnected"), not its absence.
        ("binary_sensor", "status"): {
            "name": "Connectivity",
            "state_topic": status,
            "payload_on": "online",
            "payload_off": "offline",
            "device_class": "connectivity",
            "entity_category": "diagnostic",
        },
    }
    shared = {
        "device": {
            "identifiers": [f"edge-digits_{node}"],
            "name": device,
            "manufacturer": "edge-digits",
            "model": "Handwritten digit reader",
            "sw_version": __version__,
        },
        "origin": ORIGIN,
    }
    return {
        f"{prefix}/{component}/{node}/{object_id}/config": json.dumps(
            {**config, "unique_id": f"edge-digits_{node}_{object_id}", **shared}
        )
        for (component, object_id), config in entities.items()
    }
