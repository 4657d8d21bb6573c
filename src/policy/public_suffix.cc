#include "policy/public_suffix.h"

#include <libpsl.h>

#include <string>

namespace flint::policy {

core::Result<std::shared_ptr<const PublicSuffixList>> PublicSuffixList::Default() {
  // Loaded once; a const psl context is safe to query from any thread.
  static const std::shared_ptr<const PublicSuffixList> list =
      []() -> std::shared_ptr<const PublicSuffixList> {
    if (psl_ctx_t* latest = psl_latest(nullptr)) {
      return std::shared_ptr<const PublicSuffixList>(new PublicSuffixList(latest, true));
    }
    if (const psl_ctx_t* builtin = psl_builtin()) {
      return std::shared_ptr<const PublicSuffixList>(new PublicSuffixList(builtin, false));
    }
    return nullptr;
  }();
  if (!list) return core::Err(core::ErrorType::kInternal, "libpsl has no public suffix list");
  return list;
}

core::Result<std::shared_ptr<const PublicSuffixList>> PublicSuffixList::LoadFile(
    const std::string& path) {
  psl_ctx_t* ctx = psl_load_file(path.c_str());
  if (ctx == nullptr) {
    return core::Err(core::ErrorType::kInternal,
                     "cannot load public suffix list from \"" + path + "\"");
  }
  return std::shared_ptr<const PublicSuffixList>(new PublicSuffixList(ctx, true));
}

PublicSuffixList::~PublicSuffixList() {
  if (owned_) psl_free(const_cast<psl_ctx_t*>(ctx_));
}

bool PublicSuffixList::IsIcannPublicSuffix(std::string_view name) const {
  const std::string s(name);
  return psl_is_public_suffix2(ctx_, s.c_str(), PSL_TYPE_ICANN) != 0;
}

bool PublicSuffixList::HasListedTld(std::string_view name) const {
  const size_t dot = name.rfind('.');
  const std::string tld(dot == std::string_view::npos ? name : name.substr(dot + 1));
  if (tld.empty()) return false;
  return psl_is_public_suffix2(ctx_, tld.c_str(), PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) != 0;
}

std::optional<std::string> PublicSuffixList::RegistrableDomain(std::string_view name) const {
  const std::string s(name);
  const char* registrable = psl_registrable_domain(ctx_, s.c_str());
  if (registrable == nullptr) return std::nullopt;
  return std::string(registrable);
}

}  // namespace flint::policy
