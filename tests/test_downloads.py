"""Downloads that are what they claim (issue 18, part 3): a user-given corpus URL must be https
and is recorded with its sha256; a file that does not match its known hash is never used.

The https case runs a real HTTPS server on this machine (a self-signed certificate made with
openssl, trusted through SSL_CERT_FILE): no network."""
from __future__ import annotations

import hashlib
import http.server
import shutil
import ssl
import subprocess
import sys
import threading

import pytest

from tests.conftest import ROOT
from trainables.data import DataError, download
from trainables.data.corpus import load_text

TEXT = "".join(f"line {i}: to be, or not to be, that is the question of {i}.\n" for i in range(400))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    return tmp_path / "cache"


@pytest.fixture
def https_server(tmp_path, monkeypatch):
    """https://localhost:PORT/ serving tmp_path/www, with a certificate this process trusts."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    www = tmp_path / "www"
    www.mkdir()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(www))  # noqa: E731
    server = http.server.HTTPServer(("localhost", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield www, f"https://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_https_corpus_is_downloaded_and_recorded_with_its_sha256(cache, https_server):
    www, base = https_server
    (www / "corpus.txt").write_text(TEXT)
    data = load_text(f"{base}/corpus.txt", {})
    assert data.info["file_sha256"] == hashlib.sha256(TEXT.encode()).hexdigest()
    assert data.source == f"{base}/corpus.txt"
    (www / "corpus.txt").unlink()  # downloaded once: the next use reads the cache
    assert load_text(f"{base}/corpus.txt", {}).info["file_sha256"] == data.info["file_sha256"]
    # the cached copy is checked against its recorded sha256 at every use
    [cached] = (cache / "text").glob("*.txt")
    cached.write_text(TEXT.replace("question", "answer"))
    with pytest.raises(DataError, match="no longer matches its recorded sha256"):
        load_text(f"{base}/corpus.txt", {})


def test_a_download_that_is_not_the_published_file_is_refused_and_not_kept(cache, https_server, monkeypatch):
    www, base = https_server
    (www / "input.txt").write_text(TEXT)
    url = f"{base}/input.txt"
    monkeypatch.setitem(download.KNOWN, url, ("sha256", hashlib.sha256(b"the published text").hexdigest()))
    with pytest.raises(DataError, match="is not the published file"):
        download.fetch(url, cache / "input.txt")
    assert not list(cache.glob("input.txt*"))  # neither the file nor its partial download
    monkeypatch.setitem(download.KNOWN, url, ("sha1", hashlib.sha1(TEXT.encode()).hexdigest()))
    assert download.fetch(url, cache / "input.txt") == hashlib.sha256(TEXT.encode()).hexdigest()
    assert (cache / "input.txt").read_text() == TEXT


def test_a_local_corpus_file_is_recorded_with_its_sha256(tmp_path):
    path = tmp_path / "plays.txt"
    path.write_text(TEXT)
    assert load_text(str(path), {}).info["file_sha256"] == hashlib.sha256(TEXT.encode()).hexdigest()


def test_the_known_urls_are_the_ones_the_loaders_fetch():
    from trainables.data.corpus import TINY_SHAKESPEARE
    from trainables.data.reviews import GLOVE_URL, IMDB_URL
    assert set(download.KNOWN) == {TINY_SHAKESPEARE, IMDB_URL, GLOVE_URL}
    assert all(url.startswith("https://") for url in download.KNOWN)


@pytest.mark.parametrize("url", ["ftp://localhost/corpus.txt", "HTTP://localhost:9/corpus.txt", "file:///etc/hosts"])
def test_every_scheme_but_https_is_refused(url):
    with pytest.raises(DataError, match="must be an https URL"):
        download.require_https(url, "--set corpus=URL")


def test_a_corpus_url_that_is_not_https_is_refused_in_one_line_before_anything_is_written(tmp_path):
    url = "http://localhost:9/corpus.txt"  # the whole script once (a process start costs seconds)
    done = subprocess.run([sys.executable, str(ROOT / "studies" / "textgen_temperature.py"), "--profile", "full",
                           "--set", f"corpus={url}", "--storage-path", str(tmp_path / "results")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "TUNESTUDIES_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 1, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "must be an https URL" in lines[0] and url in lines[0], done.stderr[-2000:]
    assert not (tmp_path / "results" / "textgen_temperature").exists()
    assert not list((tmp_path / "cache").glob("text/*"))  # nothing downloaded either
