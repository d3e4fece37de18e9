"""What the devices app needs from a device protocol driver (DESIGN rule 5: core apps never
branch on vendor). A driver renders vendor-neutral commands into its wire text, says what a
device can do and which items it can hold; drivers register themselves in AppConfig.ready."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from gatehouse.devices.models import Device, DeviceCommand

# Face photo bytes by photo id, fetched in one go for a command's records.
PhotoLoader = Callable[[Iterable[int]], Mapping[int, bytes]]


@dataclass(frozen=True)
class Capabilities:
    """What a device reported it has, in Gatehouse's words (shown on the device page and
    used to decide what to sync)."""

    doors: int = 0
    readers: int = 0
    faces: bool = False
    fingerprints: bool = False
    cards: bool = False
    temperature: bool = False
    mask: bool = False
    string_pins: bool = False
    max_users: int | None = None
    max_faces: int | None = None
    operations: frozenset[str] = frozenset()
    item_kinds: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        return {
            "doors": self.doors,
            "readers": self.readers,
            "faces": self.faces,
            "fingerprints": self.fingerprints,
            "cards": self.cards,
            "temperature": self.temperature,
            "mask": self.mask,
            "string_pins": self.string_pins,
            "max_users": self.max_users,
            "max_faces": self.max_faces,
            "operations": sorted(self.operations),
            "item_kinds": sorted(self.item_kinds),
        }


@dataclass(frozen=True)
class Parameter:
    """A device parameter an administrator can set (3.1.1, 3.1.5): `name` is Gatehouse's
    name, the driver maps it to the device's option."""

    name: str
    label: Promise | str
    kind: str  # "int", "bool", "choice"
    default: Any
    minimum: int | None = None
    maximum: int | None = None
    choices: Sequence[tuple[str, Promise]] = field(default_factory=tuple)
    help_text: Promise | str = ""


class DeviceDriver(Protocol):
    name: str

    def capabilities(self, device: Device) -> Capabilities: ...

    def parameters(self, device: Device) -> Sequence[Parameter]: ...

    def item_problem(self, device: Device, kind: str, record: Mapping[str, Any]) -> str | None:
        """Why the device cannot hold this item (shown in the failure table), or None."""
        ...

    def batch_limit(self, device: Device, operation: str) -> int:
        """How many records one `<kind>.put` / `<kind>.remove` command may carry."""
        ...

    def batch_bytes(self, device: Device) -> int:
        """About how many bytes of content one command may carry."""
        ...

    def split(
        self, device: Device, operation: str, arguments: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """The arguments of each command one operation needs (usually just one)."""
        ...

    def render(self, device: Device, command: DeviceCommand, load_photos: PhotoLoader) -> str:
        """The wire text of `command` (raises ValueError if it cannot be rendered)."""
        ...

    def render_variant(self, device: Device) -> Hashable:
        """What, besides the command, the wire text depends on: devices with equal variants
        share the rendered text of a shared sync payload."""
        ...

    def return_message(self, device: Device, code: int) -> str:
        """A return code in words, in the active language."""
        ...


_DRIVERS: dict[str, DeviceDriver] = {}


def register(driver: DeviceDriver) -> None:
    _DRIVERS[driver.name] = driver


def for_device(device: Device) -> DeviceDriver:
    try:
        return _DRIVERS[device.driver]
    except KeyError as exc:
        raise LookupError(f"no driver {device.driver!r} is installed") from exc


def registered() -> Mapping[str, DeviceDriver]:
    return dict(_DRIVERS)
