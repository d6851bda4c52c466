"""One reader for every table a user brings (``ordos_geo.io.tables``): the same handling of a
damaged XLSX, an empty file, a folder, a missing file and a GBK CSV in every command that reads
one — exit 1 with the file named, never an internal error (exit 70)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from conftest import run_cli, site_frame

import ordos_geo as og
from ordos_geo.core.errors import InputFileError, ValidationError
from ordos_geo.io.tables import read_raw, read_user_table

REGISTER_CSV = "mine_id,name,banner,level,listed_date\nM1,一号矿,准格尔旗,national,2022-01-01\n"


def _argv(command: str, table, tmp_path) -> list[str]:
    """The command line of ``command`` reading the user table ``table``."""
    out = str(tmp_path / "out")
    sites = tmp_path / "sites.geojson"
    if not sites.exists():
        og.io.write_geojson(site_frame(3), sites)
    if command == "register import":
        db = tmp_path / "r.gpkg"
        if not db.exists():
            assert run_cli(["register", "init", str(db)]) == 0
        return ["register", "import", str(db), str(table)]
    if command == "rectification":
        db = tmp_path / "r.gpkg"
        if not db.exists():
            assert run_cli(["register", "init", str(db)]) == 0
        return ["rectification", str(db), "--required-mines", str(table), "--out", out]
    if command == "declarations":
        summary = tmp_path / "progress_summary.csv"
        summary.write_text("site_id,year,vegetated_share\nM1,2024,0.5\n", encoding="utf-8")
        return ["declarations", str(table), "--progress", str(summary), "--out", out]
    return {"spot-check": ["spot-check", str(table), "--year", "2025", "--out", out],
            "score": ["score", str(table), "--out", out + ".csv"],
            "fund": ["fund", str(table), "--out", out + ".csv"],
            "capacity": ["capacity", str(table), "--out", out + ".csv"],
            "zones --plans": ["zones", str(sites), "--plans", str(table), "--out", out],
            "zones --cannot-link": ["zones", str(sites), "--cannot-link", str(table),
                                    "--out", out]}[command]


COMMANDS = ["register import", "rectification", "declarations", "spot-check", "score", "fund",
            "capacity", "zones --plans", "zones --cannot-link"]


def _bad_tables(tmp_path):
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04" + os.urandom(300))  # a zip header, then noise
    foreign = tmp_path / "foreign.xlsx"
    foreign.write_text("mine_id,year\nM1,2024\n", encoding="utf-8")  # a CSV named .xlsx
    empty_csv, empty_xlsx = tmp_path / "empty.csv", tmp_path / "empty2.xlsx"
    empty_csv.write_bytes(b"")
    empty_xlsx.write_bytes(b"")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    return {"damaged xlsx": damaged, "csv named xlsx": foreign, "empty csv": empty_csv,
            "empty xlsx": empty_xlsx, "a folder": folder, "missing": tmp_path / "none.csv"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_table_reading_command_names_a_bad_file(command, tmp_path, capsys):
    for what, table in _bad_tables(tmp_path).items():
        code = run_cli(_argv(command, table, tmp_path))
        err = capsys.readouterr().err
        assert code == 1, (command, what, code, err)
        assert table.name in err and "internal error" not in err, (command, what, err)


def test_read_raw_refuses_what_is_no_table(tmp_path):
    for what, table in _bad_tables(tmp_path).items():
        with pytest.raises(InputFileError) as caught:
            read_raw(table)
        assert table.name in str(caught.value), (what, str(caught.value))


def test_a_gbk_csv_and_an_xlsx_of_the_same_table_read_alike(tmp_path):
    frame = pd.DataFrame({"矿山编号": ["M1", "0002"], "矿山名称": ["一号矿", "二号矿"],
                          "旗区": ["准格尔旗", "达拉特旗"], "级别": ["国家级", "自治区级"],
                          "纳入名录日期": ["2022-01-01", "2023-05-06"]})
    gbk, xlsx = tmp_path / "t.csv", tmp_path / "t.xlsx"
    gbk.write_bytes(frame.to_csv(index=False).encode("gbk"))
    frame.to_excel(xlsx, index=False)
    a, b = (og.register.read_register_table(p) for p in (gbk, xlsx))
    assert list(a.columns) == ["mine_id", "name", "banner", "level", "listed_date"]
    assert a.astype(str).equals(b.astype(str))
    assert a.loc[1, "mine_id"] == "0002"  # kept as text: a leading zero is part of an id


@pytest.mark.parametrize("reader, header", [
    (og.register.read_register_table, "mine_id,矿山编号,level\nM1,M2,national\n"),
    (og.disturbance.read_declarations,
     "mine_id,矿山编号,year,declared_reclaimed_ha\nM1,M2,2024,3\n")])
def test_two_columns_for_one_field_are_refused_not_guessed(reader, header, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(header, encoding="utf-8")
    with pytest.raises(ValidationError, match="two columns stand for mine_id|两列都表示 mine_id"):
        reader(path)


def test_declarations_in_mu_are_hectares(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("矿山编号,年度,申报复垦面积(亩)\nM1,2024,30\n", encoding="utf-8")
    out = og.disturbance.read_declarations(path)
    assert out.loc[0, "declared_reclaimed_ha"] == pytest.approx(2.0)  # 30 亩 = 2 ha


def test_plans_read_from_xlsx_as_from_csv(tmp_path):
    csv = og.datasets.synthetic_plans_path()
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    xlsx = tmp_path / "plans.xlsx"
    table.to_excel(xlsx, index=False)
    a, b = og.plans.read_plans(csv), og.plans.read_plans(xlsx)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_an_xlsx_number_cell_reads_as_the_text_a_csv_would_hold(tmp_path):
    xlsx = tmp_path / "t.xlsx"
    pd.DataFrame({"site_a": [1001, 2.5, None], "site_b": ["x", "y", "z"]}).to_excel(
        xlsx, index=False)
    assert read_raw(xlsx, as_text=True)["site_a"].tolist() == ["1001", "2.5", ""]


def test_a_user_table_names_every_problem_at_once(tmp_path):
    path = tmp_path / "fund.csv"
    path.write_text("矿山编号,矿山编号,年度,应计提金额(美元)\nM1,M1,2024,3\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_user_table(path, table="fund", what="fund table",
                        required=["mine_id", "year", "accrued", "required"])
    text = str(caught.value)
    assert "fund.csv" in text and text.count("\n- ") >= 2, text


# --- the second adversary round (issue 21): names, formats, repeats, stray characters ----------
def _odd_tables(tmp_path):
    ole = tmp_path / "old.xls"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(500))
    ole_named_xlsx = tmp_path / "old_named.xlsx"
    ole_named_xlsx.write_bytes(ole.read_bytes())
    ods = tmp_path / "sheet.ods"
    ods.write_bytes(b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/vnd.oasis.opendocument"
                    b".spreadsheet" + os.urandom(100))
    binary = tmp_path / "noise.txt"
    binary.write_bytes(os.urandom(400))
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("矿山编号,年度,矿山编号,a,b\nM1,2024,M2,M1,M2\n", encoding="utf-8")
    return {"old xls": ole, "old xls named xlsx": ole_named_xlsx, "ods": ods,
            "binary txt": binary, "repeated header": repeated}


@pytest.mark.parametrize("command", COMMANDS)
def test_other_formats_and_repeated_headers_are_named_not_crashed(command, tmp_path, capsys):
    """.xls (OLE), .ods, noise named .txt and a header given twice: exit 1 (or 2) naming the file
    (the first adversary round found exit 70 for every name but .csv/.xlsx/.xlsm)."""
    for what, table in _odd_tables(tmp_path).items():
        code = run_cli(_argv(command, table, tmp_path))
        err = capsys.readouterr().err
        assert code in (1, 2), (command, what, code, err)  # 2: spot-check wants a register
        assert table.name in err and "internal error" not in err, (command, what, err)


@pytest.mark.parametrize("name, text, codec", [
    ("plans.txt", "mine_id,year,target_share\nM1,2024,0.5\n", "utf-8"),
    ("plans.tsv", "mine_id\tyear\ttarget_share\nM1\t2024\t0.5\n", "utf-8"),
    ("plans.dat", "mine_id;year;target_share\nM1;2024;0.5\n", "gbk"),
    ("unicode.txt", "mine_id\tyear\ttarget_share\nM1\t2024\t0.5\n", "utf-16"),  # Excel's
    ("misnamed.xls", "mine_id,year,target_share\nM1,2024,0.5\n", "utf-8")])
def test_a_text_table_of_any_name_is_read(tmp_path, name, text, codec):
    path = tmp_path / name
    path.write_bytes(text.encode(codec))
    frame = read_raw(path)
    assert list(frame.columns) == ["mine_id", "year", "target_share"]
    assert frame.iloc[0].tolist() == ["M1", "2024", "0.5"]


def test_a_repeated_header_is_refused_naming_both_columns(tmp_path):
    path = tmp_path / "fund.csv"
    path.write_text("矿山编号,年度,已计提,应计提,矿山编号\nM1,2025,100,100,M2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="mine_id"):
        read_user_table(path, table="fund", what="fund table",
                        required=["mine_id", "year", "accrued", "required"])
    with pytest.raises(InputFileError, match=r"1, 5"):
        read_raw(path)


def test_invisible_characters_in_headers_and_a_stray_bom_in_a_field(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\u200b矿山编号\u200b,year\n\ufeffSYN-M0001,2024\n", encoding="utf-8")
    frame = read_raw(path)
    assert list(frame.columns) == ["矿山编号", "year"]
    assert frame.iloc[0, 0] == "\ufeffSYN-M0001"  # UTF-8 kept: not read as GBK mojibake
    table = read_user_table(path, table="declarations", what="t", required=["mine_id"])
    assert table.frame.columns.tolist()[0] == "mine_id"


def test_a_header_only_score_sheet_is_refused_before_anything_is_written(tmp_path, capsys):
    sheet = tmp_path / "s.csv"
    sheet.write_text("矿山编号,一级指标,分值,得分\n", encoding="utf-8")
    out = tmp_path / "so.csv"
    assert run_cli(["score", str(sheet), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "s.csv" in err and "internal error" not in err and not out.exists()
