#pragma once
// The HTTPS API of a remote perspective (`flint va-agent`): perspective/wire.h's POST /validate
// and POST /caa over mutual TLS (perspective/tls_context.h: only the CA's client certificate is
// accepted; any other client fails the handshake). Each request is handed to `handler`, which
// runs the agent's own validation authority and reports what it saw.
//
// Hostile input gets a clean answer and never reaches the handler: a body over
// kMaxRequestBody -> 413, unparseable HTTP -> 400, another method -> 405, another path -> 404,
// a body that is not a well-formed request -> 400, each a perspective/wire.h problem. Every read
// has a deadline (`request_timeout`), and at most `max_connections` are open at once (more are
// closed on accept).
//
// Threads: one io_context thread runs every connection as a coroutine; `handler` is called on it
// and must not block (cmd's agent runs the blocking VA on a pool); its completion may be called
// on any thread. Start returns once the listener is bound; Stop (or the destructor) closes it
// and waits for the thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "perspective/credentials.h"
#include "perspective/wire.h"
#include "ra/validator.h"

namespace flint::perspective {

struct AgentServerOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 0;  // 0: any free port (tests)
  TlsIdentity identity;
  std::chrono::milliseconds request_timeout{30000};
  int max_connections = 256;
};

using AgentHandler = std::function<void(AgentOp, AgentRequest,
                                        std::function<void(ra::PerspectiveReport)> done)>;

class AgentServer {
 public:
  // kInternal when the TLS context cannot be built or the address cannot be bound.
  static core::Result<std::unique_ptr<AgentServer>> Start(AgentServerOptions options,
                                                          AgentHandler handler);
  ~AgentServer();
  uint16_t port() const;
  void Stop();

  struct Impl;

 private:
  explicit AgentServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flint::perspective
