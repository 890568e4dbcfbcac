"""Country outlines from the vendored world-atlas TopoJSON, and a map projection.

The data (Natural Earth 1:50m via the npm package ``world-atlas``) ships in
``contingent/data/world``; nothing is fetched at run time. TopoJSON arcs are decoded here with
a few lines of NumPy rather than a GIS library.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

Ring = NDArray[np.float64]  # (n, 2): lon, lat in degrees

# ISO 3166-1 alpha-3 -> numeric, for the nations around the CSTO theatre (enough to highlight a
# host or a contributing nation; other countries are drawn but never highlighted).
ISO_NUMERIC: dict[str, str] = {
    "AFG": "004", "ARM": "051", "AZE": "031", "BLR": "112", "CHN": "156", "EST": "233",
    "FIN": "246", "GEO": "268", "IND": "356", "IRN": "364", "KAZ": "398", "KGZ": "417",
    "LTU": "440", "LVA": "428", "MDA": "498", "MNG": "496", "PAK": "586", "POL": "616",
    "RUS": "643", "TJK": "762", "TKM": "795", "TUR": "792", "UKR": "804", "UZB": "860",
}


@dataclass(frozen=True, slots=True)
class Country:
    """One country: ISO numeric id, name and outline rings (lon/lat degrees)."""

    id: str
    name: str
    rings: tuple[Ring, ...]


def decode_arcs(topology: dict[str, Any]) -> list[Ring]:
    """Decode a TopoJSON topology's arcs to absolute lon/lat arrays.

    Quantized topologies (with a ``transform``) store each arc as deltas from the previous
    point; unquantized ones store absolute positions.
    """
    transform = topology.get("transform")
    out: list[Ring] = []
    for arc in topology["arcs"]:
        a = np.asarray(arc, dtype=np.float64).reshape(-1, 2)
        if transform is not None:
            a = np.cumsum(a, axis=0) * np.asarray(transform["scale"]) + np.asarray(
                transform["translate"]
            )
        out.append(a)
    return out


def _ring(arcs: list[Ring], indexes: list[int]) -> Ring:
    parts: list[Ring] = []
    for k, i in enumerate(indexes):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])  # consecutive arcs share their joining point
    return np.concatenate(parts) if parts else np.zeros((0, 2))


def geometry_rings(geometry: dict[str, Any], arcs: list[Ring]) -> list[Ring]:
    """Outline rings of a Polygon or MultiPolygon TopoJSON geometry (holes included)."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [_ring(arcs, r) for r in geometry["arcs"]]
    if kind == "MultiPolygon":
        return [_ring(arcs, r) for poly in geometry["arcs"] for r in poly]
    return []


@lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    """Every country of the vendored 1:50m outlines (decoded once per process)."""
    path = resources.files("contingent") / "data" / "world" / "countries-50m.json"
    topology = json.loads(path.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    out = []
    for g in topology["objects"]["countries"]["geometries"]:
        rings = geometry_rings(g, arcs)
        if rings:
            out.append(Country(str(g.get("id", "")), str(g.get("properties", {}).get("name", "")),
                               tuple(rings)))
    return tuple(out)


class Lambert:
    """Lambert conformal conic projection on a sphere, in kilometres.

    Standard parallels and central meridian are chosen from the area to show, so shapes and
    distances are true enough for a theatre-sized map.
    """

    R = 6371.0

    def __init__(self, lon0: float, lat0: float, lat1: float, lat2: float) -> None:
        self.lon0 = lon0
        p1, p2, p0 = map(math.radians, (lat1, lat2, lat0))
        if abs(p1 - p2) < 1e-6:
            n = math.sin(p1)
        else:
            n = math.log(math.cos(p1) / math.cos(p2)) / math.log(
                math.tan(math.pi / 4 + p2 / 2) / math.tan(math.pi / 4 + p1 / 2)
            )
        if abs(n) < 1e-3:  # an equatorial area: keep the cone from degenerating
            n = 1e-3
        self.n = n
        self.F = math.cos(p1) * math.tan(math.pi / 4 + p1 / 2) ** n / n
        self.rho0 = self.R * self.F / math.tan(math.pi / 4 + p0 / 2) ** n

    @classmethod
    def for_extent(cls, lons: NDArray[np.float64] | list[float],
                   lats: NDArray[np.float64] | list[float]) -> Lambert:
        """A projection suited to points spanning ``lons``/``lats``."""
        lo, la = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        lat_min, lat_max = float(la.min()), float(la.max())
        span = max(lat_max - lat_min, 1.0)
        return cls(
            lon0=float((lo.min() + lo.max()) / 2),
            lat0=(lat_min + lat_max) / 2,
            lat1=lat_min + span / 6,
            lat2=lat_max - span / 6,
        )

    def __call__(self, lon: Any, lat: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Project degrees to kilometres (x east, y north)."""
        lam = np.radians(np.asarray(lon, dtype=float))
        phi = np.radians(np.clip(np.asarray(lat, dtype=float), -89.0, 89.0))
        dl = (lam - math.radians(self.lon0) + np.pi) % (2 * np.pi) - np.pi
        rho = self.R * self.F / np.tan(np.pi / 4 + phi / 2) ** self.n
        theta = self.n * dl
        return rho * np.sin(theta), self.rho0 - rho * np.cos(theta)


def great_circle(lon1: float, lat1: float, lon2: float, lat2: float,
                 n: int = 64) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points along the great circle between two positions (degrees), ends included."""
    def vec(lon: float, lat: float) -> NDArray[np.float64]:
        lo, la = math.radians(lon), math.radians(lat)
        return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])

    a, b = vec(lon1, lat1), vec(lon2, lat2)
    omega = math.acos(float(np.clip(a @ b, -1.0, 1.0)))
    t = np.linspace(0.0, 1.0, n)[:, None]
    if omega < 1e-9:
        p = np.repeat(a[None, :], n, axis=0)
    else:
        p = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / math.sin(omega)
    lon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
    lat = np.degrees(np.arcsin(np.clip(p[:, 2], -1.0, 1.0)))
    return lon, lat


__all__ = ["ISO_NUMERIC", "Country", "Lambert", "countries", "decode_arcs", "geometry_rings",
           "great_circle"]
