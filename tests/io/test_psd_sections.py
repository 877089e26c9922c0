"""A PSD cut short is refused as damaged (psd-tools alone reads many cut files leniently,
with layers or pixels silently missing); a whole file passes the check."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from spinelift.cli.exit_codes import ExitCode
from spinelift.cli.main import main
from spinelift.errors import DocumentError
from spinelift.io.psd import read_psd, write_sample_psd
from spinelift.io.psd.limits import read_header
from spinelift.io.psd.sections import HEADER_BYTES, check_complete


def _sample(tmp_path: Path) -> bytes:
    path = tmp_path / "sample.psd"
    write_sample_psd(path)
    return path.read_bytes()


def _layer_section_end(data: bytes) -> int:
    offset = HEADER_BYTES
    for _ in range(3):  # colour mode data, image resources, layer information (PSD)
        offset += 4 + int.from_bytes(data[offset : offset + 4], "big")
    return offset


def test_a_whole_psd_passes(tmp_path: Path) -> None:
    data = _sample(tmp_path)
    stream = io.BytesIO(data)
    assert check_complete(stream, read_header(stream, "s.psd"), "s.psd") is None
    assert stream.tell() == 0
    assert len(read_psd(data).layers) > 1


@pytest.mark.parametrize("fraction", [0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
def test_a_psd_cut_in_its_layers_is_refused(tmp_path: Path, fraction: float) -> None:
    data = _sample(tmp_path)
    cut = data[: int(_layer_section_end(data) * fraction)]
    with pytest.raises(DocumentError, match="is truncated"):
        read_psd(cut, name="cut.psd")


def test_a_cut_merged_image_is_reported_not_raised(tmp_path: Path) -> None:
    data = _sample(tmp_path)
    end = _layer_section_end(data)
    cut = data[: end + (len(data) - end) // 2]
    stream = io.BytesIO(cut)
    problem = check_complete(stream, read_header(stream, "cut.psd"), "cut.psd")
    assert isinstance(problem, DocumentError) and "merged image" in problem.message
    assert len(read_psd(cut).layers) == len(read_psd(data).layers)  # the layers are whole


def test_the_cli_gives_a_cut_psd_the_bad_input_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _sample(tmp_path)
    art = tmp_path / "cut.psd"
    art.write_bytes(data[: _layer_section_end(data) // 2])
    assert main(["convert", str(art), "-o", str(tmp_path / "out")]) == ExitCode.BAD_INPUT
    assert "truncated" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
