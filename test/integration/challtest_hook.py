"""Challenge hooks the ACME clients under test call. Talks only to the test DNS server's
management API on 127.0.0.1 (FLINT_IT_CTS) or writes into a local webroot (FLINT_IT_WEBROOT).

  challtest_hook.py certbot-auth | certbot-cleanup
      certbot --manual hooks: CERTBOT_DOMAIN and CERTBOT_VALIDATION from the environment.
  challtest_hook.py lego present|cleanup FQDN VALUE
      lego's `exec` DNS provider (EXEC_PATH).
  challtest_hook.py uacme begin|done|failed TYPE IDENT TOKEN AUTH
      uacme -h: accepts http-01 only, writing AUTH to WEBROOT/TOKEN; exit 1 declines.
"""

import json
import os
import sys
import urllib.request


def post(path, obj):
    req = urllib.request.Request(os.environ["FLINT_IT_CTS"] + path,
                                 data=json.dumps(obj).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            raise SystemExit(f"challtestsrv {path}: HTTP {r.status}")


def fqdn(name):
    return name if name.endswith(".") else name + "."


def certbot(action):
    host = fqdn("_acme-challenge." + os.environ["CERTBOT_DOMAIN"])
    if action == "certbot-auth":
        post("/set-txt", {"host": host, "value": os.environ["CERTBOT_VALIDATION"]})
    else:
        post("/clear-txt", {"host": host})
    return 0


def lego(args):
    action, name, value = args
    if action == "present":
        post("/set-txt", {"host": fqdn(name), "value": value})
    elif action == "cleanup":
        post("/clear-txt", {"host": fqdn(name)})
    else:
        return 1
    return 0


def uacme(args):
    method, kind, _ident, token, auth = args
    if kind != "http-01":
        return 1
    path = os.path.join(os.environ["FLINT_IT_WEBROOT"], token)
    if method == "begin":
        with open(path, "w") as f:
            f.write(auth)
    elif method in ("done", "failed"):
        if os.path.exists(path):
            os.remove(path)
    else:
        return 1
    return 0


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode in ("certbot-auth", "certbot-cleanup"):
        return certbot(mode)
    if mode == "lego" and len(argv) == 5:
        return lego(argv[2:])
    if mode == "uacme" and len(argv) == 7:
        return uacme(argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
