"""An MJPEG stream over HTTP (multipart/x-mixed-replace), as IP cameras and phone apps serve
their pictures, for tests to read from a real server."""

import http.server
import time


class MjpegStream(http.server.BaseHTTPRequestHandler):
    """Serves `part(index)` (JPEG bytes, or None to end) every `interval` seconds."""

    interval = 0.1
    frame = b""

    def part(self, index: int) -> bytes | None:
        """The stream's part number `index`: `frame`, for ever."""
        return self.frame

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        index = 0
        try:
            while (part := self.part(index)) is not None:
                self.wfile.write(
                    b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n"
                    % (len(part), part)
                )
                index += 1
                time.sleep(self.interval)
        except OSError:  # the viewer went away
            return

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""
