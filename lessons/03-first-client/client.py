# The client from the course notes this workbook starts from (group Axolotl: Nolan Hoarau and
# Soumaya Rabah), with English comments, an optional port argument, and the port it connects to
# printed. Try it with your C++ server: see "Try it yourself" in the lesson's README.md.
#
#   python3 client.py          # port 63000, as in the notes
#   python3 client.py 41234    # the port your server announced
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 63000

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("localhost", port))  # Connect to the local machine, port 63000 unless told otherwise
print("Connected to localhost:%d" % port)
client.send(b"Salut le serveur !")  # bytes, not text: b"..."
client.close()
