"""The demo's package: built once on the repo server, installed from its wheel everywhere."""
import socket


def main():
    print("hello from %s, installed by wheelwright" % socket.gethostname())
