"""A stand-in browser for ``webbrowser`` (``BROWSER="python opener.py PORT %s"``): hands the URL to the test.

The browser test listens on 127.0.0.1:PORT and opens each URL it receives in Chromium.
"""

import socket
import sys

with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30) as connection:
    connection.sendall(sys.argv[2].encode() + b"\n")
