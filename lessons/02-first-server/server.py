# The server from the course notes this workbook starts from (group Axolotl: Nolan Hoarau and
# Soumaya Rabah), with English comments, an optional port argument, and the port it listens on
# printed. Try it with your C++ client: see "Try it yourself" in the lesson's README.md.
#
#   python3 server.py          # port 63000, as in the notes
#   python3 server.py 0        # a port the system picks; the first line says which
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 63000

# Create the server's socket
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("localhost", port))  # Local machine, port 63000 unless told otherwise
server.listen(1)  # Wait for 1 connection

# flush=True: stdout into a pipe is fully buffered, in Python as in C++
print("Server waiting on localhost:%d..." % server.getsockname()[1], flush=True)
client_socket, address = server.accept()
print("Connection from", address)
message = client_socket.recv(1024)  # Receive at most 1024 bytes
print("Message received:", message.decode())
client_socket.close()
server.close()
