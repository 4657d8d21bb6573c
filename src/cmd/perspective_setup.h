#pragma once
// `flint serve --perspective NAME=https://HOST:PORT ...`: puts the local validator behind a
// perspective::MultiPerspectiveValidator that also asks each remote `flint va-agent` (CA/Browser
// Forum BR §3.2.2.9, docs/VALIDATION.md).

#include <memory>

#include "config/config.h"
#include "core/result.h"
#include "ra/validator.h"

namespace flint::cmd {

// `primary` itself when cfg.perspectives is empty (behaviour exactly as without agents);
// otherwise a validator owning it that fans out to the agents with the CA's client credentials
// from cfg.data_dir. kMalformed for a bad --perspective; kNotFound when no credentials were
// minted (flint admin perspective add).
core::Result<std::unique_ptr<ra::Validator>> WithRemotePerspectives(
    const config::Config& cfg, std::unique_ptr<ra::Validator> primary);

}  // namespace flint::cmd
