"""factorychain.cli through click's CliRunner: outputs, exit codes, one-line errors."""

import json
import stat

import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_utils import keccak

from factorychain import part_id, public_key_from_private
from factorychain.cli import cli

PARTNER = Account.from_key(keccak(b"partner"))
INSPECTOR = Account.from_key(keccak(b"inspector"))
ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ENV = {"PARTNER_KEY": "0x" + PARTNER.key.hex(), "INSPECTOR_KEY": INSPECTOR.key.hex()}
DESIGN = b"%PDF-1.7 brake caliper rev C" * 64


@pytest.fixture
def run():
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 always keeps stderr apart
        runner = CliRunner()

    def invoke(*args, env=None, input=None):
        return runner.invoke(cli, [str(a) for a in args], env={**ENV, **(env or {})}, input=input)

    return invoke


def ok(result):
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def assert_one_line_error(result, code, *fragments):
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def design(tmp_path):
    path = tmp_path / "caliper.pdf"
    path.write_bytes(DESIGN)
    return path


@pytest.fixture
def encrypted(run, design, tmp_path):
    """(encrypt output JSON, key file) for DESIGN as part BRK-2209 version 1."""
    key_file = tmp_path / "caliper.key"
    out = json.loads(
        ok(
            run(
                "encrypt",
                design,
                "--part-number",
                "BRK-2209",
                "--version",
                1,
                "--out-dir",
                tmp_path / "store",
                "--key-file",
                key_file,
            )
        ).stdout
    )
    return out, key_file


def test_help_and_version(run):
    assert "sign-receipt" in ok(run("--help")).stdout
    assert "0.1.0" in ok(run("--version")).stdout


def test_hash(run, design):
    assert ok(run("hash", design)).stdout.strip() == "0x" + keccak(DESIGN).hex()


def test_hash__missing_file(run, tmp_path):
    assert_one_line_error(run("hash", tmp_path / "nope.pdf"), 2, "does not exist")


def test_part_id(run):
    assert ok(run("part-id", "BRK-2209")).stdout.strip() == "0x" + part_id("BRK-2209").hex()


def test_unknown_command_and_missing_option__one_line(run):
    assert_one_line_error(run("frobnicate"), 2, "No such command")
    assert_one_line_error(run("sign-receipt", "--order-id", 1, "--lot", 1), 2, "Missing option")


def test_encrypt__prints_uri_hash_and_writes_private_key_file(encrypted, tmp_path):
    out, key_file = encrypted
    assert out["spec_hash"] == "0x" + keccak(DESIGN).hex()
    assert out["part_id"] == "0x" + part_id("BRK-2209").hex()
    assert out["uri"].startswith("file://") and out["key_file"] == str(key_file)
    assert "content_key" not in out
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key_file.read_text().strip()[2:])) == 32


def test_encrypt__prints_content_key_without_key_file(run, design, tmp_path):
    out = json.loads(
        ok(
            run("encrypt", design, "--part-id", "0x" + "11" * 32, "--version", 2, "--out-dir", tmp_path)
        ).stdout
    )
    assert len(bytes.fromhex(out["content_key"][2:])) == 32


def test_encrypt__key_file_never_overwritten(run, design, encrypted, tmp_path):
    _, key_file = encrypted
    before = key_file.read_text()
    result = run(
        "encrypt", design, "--part-number", "X", "--version", 1, "--out-dir", tmp_path, "--key-file", key_file
    )
    assert_one_line_error(result, 2, "refusing to overwrite")
    assert key_file.read_text() == before


@pytest.mark.parametrize(
    "part_args, fragment",
    [
        ([], "exactly one of --part-id and --part-number"),
        (["--part-id", "0x11", "--part-number", "X"], "part id: expected 32 bytes"),
        (["--part-id", "0x" + "11" * 32, "--part-number", "X"], "exactly one of"),
        (["--part-id", "0xzz"], "not a hex"),
    ],
)
def test_encrypt__bad_part_arguments(run, design, tmp_path, part_args, fragment):
    assert_one_line_error(
        run("encrypt", design, *part_args, "--version", 1, "--out-dir", tmp_path), 2, fragment
    )


def test_decrypt__round_trip_from_uri_and_path(run, encrypted, tmp_path):
    out, key_file = encrypted
    target = tmp_path / "plain.pdf"
    ok(
        run(
            "decrypt",
            out["uri"],
            "--part-number",
            "BRK-2209",
            "--version",
            1,
            "--key-file",
            key_file,
            "--expect-hash",
            out["spec_hash"],
            "--out",
            target,
        )
    )
    assert target.read_bytes() == DESIGN
    path = out["uri"][len("file://") :]
    result = run(
        "decrypt",
        path,
        "--part-number",
        "BRK-2209",
        "--version",
        1,
        "--key-env",
        "K",
        env={"K": key_file.read_text()},
    )
    assert ok(result).stdout_bytes == DESIGN


def test_decrypt__wrong_key(run, encrypted):
    out, _ = encrypted
    result = run(
        "decrypt",
        out["uri"],
        "--part-number",
        "BRK-2209",
        "--version",
        1,
        "--key-env",
        "K",
        env={"K": "0x" + "42" * 32},
    )
    assert_one_line_error(result, 1, "decryption failed")
    assert result.stdout_bytes == b""


def test_decrypt__wrong_version(run, encrypted):
    out, key_file = encrypted
    result = run("decrypt", out["uri"], "--part-number", "BRK-2209", "--version", 2, "--key-file", key_file)
    assert_one_line_error(result, 1, "wrong part id/version")


def test_decrypt__tampered_file(run, encrypted):
    out, key_file = encrypted
    path = out["uri"][len("file://") :]
    with open(path, "r+b") as handle:
        handle.seek(40)
        byte = handle.read(1)
        handle.seek(40)
        handle.write(bytes([byte[0] ^ 1]))
    result = run("decrypt", path, "--part-number", "BRK-2209", "--version", 1, "--key-file", key_file)
    assert_one_line_error(result, 1, "tampered")


def test_decrypt__hash_mismatch(run, encrypted, tmp_path):
    out, key_file = encrypted
    result = run(
        "decrypt",
        out["uri"],
        "--part-number",
        "BRK-2209",
        "--version",
        1,
        "--key-file",
        key_file,
        "--expect-hash",
        "0x" + "00" * 32,
        "--out",
        tmp_path / "never.pdf",
    )
    assert_one_line_error(result, 1, "does not match the published spec hash")
    assert not (tmp_path / "never.pdf").exists()


def test_decrypt__missing_source_and_malformed_key(run, encrypted, tmp_path):
    out, key_file = encrypted
    assert_one_line_error(
        run("decrypt", tmp_path / "gone", "--part-number", "B", "--version", 1, "--key-file", key_file),
        2,
        "does not exist",
    )
    assert_one_line_error(
        run(
            "decrypt",
            (tmp_path / "gone").as_uri(),
            "--part-number",
            "B",
            "--version",
            1,
            "--key-file",
            key_file,
        ),
        1,
        "document not found",
    )
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("0xnothex")
    assert_one_line_error(
        run("decrypt", out["uri"], "--part-number", "BRK-2209", "--version", 1, "--key-file", bad_key),
        1,
        "content key: not a hex",
    )


def test_decrypt__unwritable_output(run, encrypted, tmp_path):
    out, key_file = encrypted
    result = run(
        "decrypt",
        out["uri"],
        "--part-number",
        "BRK-2209",
        "--version",
        1,
        "--key-file",
        key_file,
        "--out",
        tmp_path / "no" / "such" / "dir.pdf",
    )
    assert_one_line_error(result, 1, "No such file or directory")


def test_pubkey(run):
    out = json.loads(ok(run("pubkey", "--private-key-env", "PARTNER_KEY")).stdout)
    assert out == {
        "address": PARTNER.address,
        "public_key": "0x" + public_key_from_private(PARTNER.key).hex(),
    }


def test_pubkey__env_missing_or_malformed(run):
    assert_one_line_error(run("pubkey", "--private-key-env", "NOT_SET_ANYWHERE"), 2, "NOT_SET_ANYWHERE")
    assert_one_line_error(
        run("pubkey", "--private-key-env", "K", env={"K": "0x1234"}), 1, "expected 32 bytes"
    )
    assert_one_line_error(run("pubkey"), 2, "exactly one of --private-key-env and --keystore")


def test_wrap_then_unwrap(run, encrypted, tmp_path):
    _, key_file = encrypted
    pub = json.loads(ok(run("pubkey", "--private-key-env", "PARTNER_KEY")).stdout)["public_key"]
    wrapped = json.loads(
        ok(
            run("wrap-key", "--to", pub, "--part-number", "BRK-2209", "--version", 1, "--key-file", key_file)
        ).stdout
    )
    assert wrapped["partner"] == PARTNER.address and len(wrapped["envelope"]) == 2 + 2 * 165
    printed = ok(
        run(
            "unwrap-key",
            wrapped["envelope"],
            "--part-number",
            "BRK-2209",
            "--version",
            1,
            "--private-key-env",
            "PARTNER_KEY",
        )
    ).stdout.strip()
    assert printed == key_file.read_text().strip()
    saved = tmp_path / "partner.key"
    ok(
        run(
            "unwrap-key",
            wrapped["envelope"],
            "--part-number",
            "BRK-2209",
            "--version",
            1,
            "--private-key-env",
            "PARTNER_KEY",
            "--key-file",
            saved,
        )
    )
    assert saved.read_text() == key_file.read_text()


def test_unwrap__wrong_key_or_part(run, encrypted):
    _, key_file = encrypted
    pub = "0x" + public_key_from_private(PARTNER.key).hex()
    envelope = json.loads(
        ok(
            run("wrap-key", "--to", pub, "--part-number", "BRK-2209", "--version", 1, "--key-file", key_file)
        ).stdout
    )["envelope"]
    assert_one_line_error(
        run(
            "unwrap-key",
            envelope,
            "--part-number",
            "BRK-2209",
            "--version",
            1,
            "--private-key-env",
            "INSPECTOR_KEY",
        ),
        1,
        "not addressed to this private key",
    )
    assert_one_line_error(
        run(
            "unwrap-key",
            envelope,
            "--part-number",
            "OTHER",
            "--version",
            1,
            "--private-key-env",
            "PARTNER_KEY",
        ),
        1,
        "different part id or version",
    )
    assert_one_line_error(
        run("unwrap-key", "0xabc", "--part-number", "X", "--version", 1, "--private-key-env", "PARTNER_KEY"),
        2,
        "odd number of digits",
    )


def test_wrap__bad_public_key(run, encrypted):
    _, key_file = encrypted
    result = run(
        "wrap-key", "--to", "0x04" + "01" * 64, "--part-number", "B", "--version", 1, "--key-file", key_file
    )
    assert_one_line_error(result, 1, "not a point on secp256k1")


@pytest.fixture
def keystore(tmp_path):
    path = tmp_path / "inspector.json"
    path.write_text(json.dumps(Account.encrypt(INSPECTOR.key, "hunter2", kdf="pbkdf2", iterations=2)))
    return path


DEADLINE = 4_000_000_000  # far ahead of the wall clock: signing refuses a deadline already past
ASN = keccak(b"ASN-88231")
RECEIPT_ARGS = [
    "--order-id",
    7,
    "--lot",
    2,
    "--shipment-hash",
    "0x" + ASN.hex(),
    "--receipt-hash",
    "0x" + keccak(b"GRN").hex(),
    "--deadline",
    DEADLINE,
    "--chain-id",
    31337,
    "--escrow",
    ESCROW,
]


def test_sign_receipt__env_and_keystore_agree(run, keystore):
    by_env = json.loads(ok(run("sign-receipt", *RECEIPT_ARGS, "--private-key-env", "INSPECTOR_KEY")).stdout)
    by_store = json.loads(
        ok(
            run(
                "sign-receipt",
                *RECEIPT_ARGS,
                "--keystore",
                keystore,
                "--password-env",
                "PW",
                env={"PW": "hunter2"},
            )
        ).stdout
    )
    assert by_env == by_store
    assert by_env["signer"] == INSPECTOR.address and by_env["order_id"] == 7 and by_env["escrow"] == ESCROW
    assert by_env["lot"] == 2 and by_env["shipment_hash"] == "0x" + ASN.hex()
    assert len(by_env["signature"]) == 2 + 130 and by_env["signature"][-2:] in ("1b", "1c")


def test_sign_receipt__keystore_password_prompt(run, keystore):
    result = run("sign-receipt", *RECEIPT_ARGS, "--keystore", keystore, input="hunter2\n")
    assert json.loads(result.stdout[result.stdout.index("{") :])["signer"] == INSPECTOR.address


def test_sign_receipt__wrong_keystore_password(run, keystore):
    result = run(
        "sign-receipt", *RECEIPT_ARGS, "--keystore", keystore, "--password-env", "PW", env={"PW": "nope"}
    )
    assert_one_line_error(result, 1, "wrong password for keystore")


@pytest.mark.parametrize(
    "option, value, fragment",
    [
        ("--receipt-hash", "0x1234", "receipt hash: expected 32 bytes"),
        ("--shipment-hash", "0x1234", "shipment hash: expected 32 bytes"),
        ("--lot", 0, "0 is not in the range"),
        ("--escrow", ESCROW.lower().replace("0x5f", "0x5F"), "checksum"),
        ("--deadline", "tomorrow", "not a valid integer"),
        ("--order-id", 0, "0 is not in the range"),
    ],
)
def test_sign_receipt__malformed_options(run, option, value, fragment):
    args = list(RECEIPT_ARGS)
    args[args.index(option) + 1] = value
    assert_one_line_error(run("sign-receipt", *args, "--private-key-env", "INSPECTOR_KEY"), 2, fragment)


def test_sign_receipt__deadline_already_past__one_line(run):
    args = list(RECEIPT_ARGS)
    args[args.index("--deadline") + 1] = 1_000_000_000
    result = run("sign-receipt", *args, "--private-key-env", "INSPECTOR_KEY")
    assert_one_line_error(result, 1, "receipt deadline 1000000000 is already past")
    assert result.stdout == ""


@pytest.fixture
def receipt_file(run, tmp_path):
    path = tmp_path / "receipt.json"
    path.write_text(ok(run("sign-receipt", *RECEIPT_ARGS, "--private-key-env", "INSPECTOR_KEY")).stdout)
    return path


def test_verify_receipt__prints_signer(run, receipt_file):
    result = run(
        "verify-receipt",
        receipt_file,
        "--signer",
        INSPECTOR.address,
        "--chain-id",
        31337,
        "--escrow",
        ESCROW,
        "--shipment-hash",
        "0x" + ASN.hex(),
        "--now",
        DEADLINE,
    )
    assert ok(result).stdout.strip() == INSPECTOR.address
    assert (
        ok(run("verify-receipt", "-", "--now", 0, input=receipt_file.read_text())).stdout.strip()
        == INSPECTOR.address
    )


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--signer", PARTNER.address], "expected one of"),
        (["--chain-id", 1], "signed for chain id 31337, not 1"),
        (["--escrow", "0x" + "12" * 20], "signed for escrow"),
        (["--now", DEADLINE + 1], f"deadline {DEADLINE} has passed"),
        (["--shipment-hash", "0x" + "ab" * 32], "but lot 2 of order 7 was shipped as 0xabab"),
    ],
)
def test_verify_receipt__refusals(run, receipt_file, extra, fragment):
    assert_one_line_error(run("verify-receipt", receipt_file, "--now", 0, *extra), 1, fragment)


def test_verify_receipt__tampered_or_malformed_files(run, receipt_file, tmp_path):
    data = json.loads(receipt_file.read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**data, "order_id": 8}))
    assert_one_line_error(run("verify-receipt", forged, "--now", 0), 1, "receipt names signer")
    forged.write_text(json.dumps({**data, "shipment_hash": "0x" + "ab" * 32}))
    assert_one_line_error(run("verify-receipt", forged, "--now", 0), 1, "receipt names signer")
    v1 = {k: v for k, v in data.items() if k not in ("lot", "shipment_hash")}
    forged.write_text(json.dumps(v1))
    assert_one_line_error(run("verify-receipt", forged, "--now", 0), 1, "missing field(s) lot, shipment_hash (a v1 receipt?")
    forged.write_text(json.dumps({**data, "signature": data["signature"][:-2]}))
    assert_one_line_error(run("verify-receipt", forged, "--now", 0), 1, "signature: expected 65 bytes")
    forged.write_text("{ not json")
    assert_one_line_error(run("verify-receipt", forged), 1, "not valid JSON")
    forged.write_text("[1, 2]")
    assert_one_line_error(run("verify-receipt", forged), 1, "expected a JSON object")
    assert_one_line_error(run("verify-receipt", tmp_path / "none.json"), 2, "No such file")


def test_main_entry_point_exits_with_status(monkeypatch, capsys):
    from factorychain.cli import main

    monkeypatch.setattr("sys.argv", ["factorychain", "part-id", ""])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip() == "error: part number: must not be empty"
