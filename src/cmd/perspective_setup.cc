#include "cmd/perspective_setup.h"

#include <spdlog/spdlog.h>

#include "ca/openssl_util.h"
#include "perspective/credentials.h"
#include "perspective/multi_validator.h"
#include "perspective/quorum.h"

namespace flint::cmd {

core::Result<std::unique_ptr<ra::Validator>> WithRemotePerspectives(
    const config::Config& cfg, std::unique_ptr<ra::Validator> primary) {
  if (cfg.perspectives.empty()) return primary;
  perspective::MultiPerspectiveOptions options;
  for (const std::string& flag : cfg.perspectives) {
    FLINT_ASSIGN_OR_RETURN(perspective::RemoteEndpoint ep, perspective::ParsePerspectiveFlag(flag));
    options.remotes.push_back(std::move(ep));
  }
  options.timeout = std::chrono::seconds(cfg.perspective_timeout_seconds);
  options.caa_identities = cfg.caa_identities;
  FLINT_ASSIGN_OR_RETURN(perspective::TlsIdentity client,
                         perspective::LoadCaClientIdentity(cfg.data_dir));
  auto validator =
      perspective::MultiPerspectiveValidator::Create(options, client, std::move(primary));
  ca::Cleanse(client.key_pem);
  if (!validator.ok()) return std::move(validator).error();
  std::string names;
  for (const perspective::RemoteEndpoint& ep : options.remotes) {
    names += (names.empty() ? "" : ", ") + ep.name;
  }
  spdlog::info("multi-perspective validation: primary + {} remote ({}); at most {} may fail to "
               "corroborate; deadline {} s",
               options.remotes.size(), names,
               perspective::AllowedRemoteFailures(options.remotes.size()),
               cfg.perspective_timeout_seconds);
  return std::unique_ptr<ra::Validator>(std::move(validator).value());
}

}  // namespace flint::cmd
