"""The first web app a fintech writes: connect a bank account, show its accounts."""

from html import escape
from http.server import BaseHTTPRequestHandler

from adapters.service import Connections, ServiceError

SCOPES = ("info", "accounts", "balance", "offline_access")


def app(connections: Connections, providers: str = "uk-ob-all") -> type[BaseHTTPRequestHandler]:
    """A request handler class for ``http.server`` (one service for every request)."""

    class App(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path == "/connect":
                link = connections.begin(region="uk", scopes=SCOPES, providers=providers)
                self.reply(302, "", location=link.url)
            elif path == "/callback":
                try:
                    outcome = connections.handle_callback(query)
                    accounts = connections.accounts(outcome.connection_id)
                    items = "".join(f"<li>{escape(a.display_name)}</li>" for a in accounts)
                    self.reply(200, f"<ul id=accounts>{items}</ul>")
                except ServiceError as error:
                    self.reply(400, f"<p id=error>Not connected: {type(error).__name__}</p>")
            else:
                self.reply(200, '<a id="connect" href="/connect">Connect your bank</a>')

        def reply(self, status: int, body: str, location: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(body.encode())

    return App
