"""CSV, XLSX and GeoJSON exports of a tiny plan."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from contingent.report.export import COLUMNS, export, sortie_rows, to_csv, to_geojson


def test_one_row_per_sortie_with_manifest(tiny, good_plan):
    rows = sortie_rows(tiny, good_plan)
    assert [r["sortie"] for r in rows] == ["P1", "P2", "S1", "S2"]
    s1 = next(r for r in rows if r["sortie"] == "S1")
    assert s1["manifest"] == "U-BLR (BLR): 30 pers.; U-RUS (RUS): 20 pers."
    assert s1["pax"] == 50 and s1["nations"] == "BLR;RUS" and s1["day"] == "2022-01-13"
    assert s1["departure"] == "2022-01-13T10:15:00+06:00"  # theatre time with offset
    s2 = next(r for r in rows if r["sortie"] == "S2")
    assert s2["vehicles"] == "CAR x2" and s2["vehicle_count"] == 2 and s2["cargo_kg"] == 1000
    assert s2["manifest"] == "U-RUS (RUS): 40 pers., CAR x2, 1000 kg cargo"
    assert next(r for r in rows if r["sortie"] == "P1")["manifest"] == "empty (positioning)"


def test_xlsx_round_trips_the_csv(tiny, good_plan, tmp_path):
    csv_rows = list(csv.reader(io.StringIO(to_csv(tiny, good_plan))))
    assert tuple(csv_rows[0]) == COLUMNS and len(csv_rows) == 5
    path = export(tiny, good_plan, "xlsx", tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    ws = wb["All sorties"]
    cells = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    assert cells == csv_rows
    assert ws.freeze_panes == "A2"
    assert ws.cell(1, 1).font.bold
    assert ws.column_dimensions["R"].width == 70  # manifest column
    assert ws.auto_filter.ref == "A1:R5"
    # one sheet per theatre day, together holding every sortie
    days = [n for n in wb.sheetnames if n[:4].isdigit()]
    assert days == ["2022-01-13"]
    day_rows = [r for n in days for r in list(wb[n].iter_rows(values_only=True))[1:]]
    assert len(day_rows) == 4 and wb[days[0]].freeze_panes == "A2"
    road = list(wb["Road moves"].iter_rows(values_only=True))
    assert road[1][:5] == ("R1", "KGZ", "U-KGZ", "THA-TOWN", "BORDER")


def test_csv_file_is_written_atomically(tiny, good_plan, tmp_path):
    path = export(tiny, good_plan, "csv", tmp_path / "plan.csv")
    assert path.read_text().splitlines()[0].startswith("sortie,kind,day,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.csv"]  # no temp file left


def test_geojson_features_have_geometry_properties_and_valid_lon_lat(tiny, good_plan, tmp_path):
    path = export(tiny, good_plan, "geojson", tmp_path / "plan.geojson")
    doc = json.loads(path.read_text())
    assert doc["type"] == "FeatureCollection"
    feats = doc["features"]
    kinds = [f["properties"]["kind"] for f in feats]
    assert kinds.count("airfield") == 2 and kinds.count("facility") == 1
    assert kinds.count("route") == 1
    for f in feats:
        assert f["type"] == "Feature"
        assert isinstance(f["properties"], dict) and f["properties"]
        g = f["geometry"]
        assert g["type"] in ("Point", "LineString")
        coords = [g["coordinates"]] if g["type"] == "Point" else g["coordinates"]
        assert len(coords) >= (1 if g["type"] == "Point" else 2)
        for lon, lat in coords:
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    route = next(f for f in feats if f["properties"]["kind"] == "route")
    assert route["properties"]["sorties"] == 2 and route["properties"]["pax"] == 90
    assert route["geometry"]["coordinates"][0] == [77.0, 43.0]
    assert route["geometry"]["coordinates"][-1] == [60.0, 50.0]
    fac = next(f for f in feats if f["properties"]["kind"] == "facility")
    assert fac["properties"]["handover"] == "2022-01-13T10:00:00+06:00"


def test_geojson_leaves_out_road_moves_without_positions(tiny, good_plan):
    doc = to_geojson(tiny, good_plan)
    assert not [f for f in doc["features"] if f["properties"]["kind"] == "road_move"]
