{
  "targets": [
    {
      "target_name": "kolejka_peer_credentials",
      "sources": ["peer_credentials.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
