# The ACME layer of wfe: router, JWS authentication, one handler per resource.
set(_wfe ${PROJECT_SOURCE_DIR}/src/wfe)
flint_library(wfe
  SOURCES ${_wfe}/wfe.cc ${_wfe}/auth.cc ${_wfe}/context.cc ${_wfe}/render.cc
          ${_wfe}/handlers/directory.cc ${_wfe}/handlers/new_account.cc
          ${_wfe}/handlers/account.cc ${_wfe}/handlers/key_change.cc
          ${_wfe}/handlers/new_order.cc ${_wfe}/handlers/order.cc
          ${_wfe}/handlers/authorization.cc ${_wfe}/handlers/certificate.cc
          ${_wfe}/handlers/renewal_info.cc ${_wfe}/handlers/revoke_cert.cc
          ${_wfe}/status_front_end.cc
  DEPS flint_core flint_jose flint_ra flint_sa Boost::json
  PRIVATE_DEPS flint_wfe_http spdlog::spdlog)
flint_test(wfe_test
  SOURCES ${_wfe}/wfe_test.cc
  DEPS flint_wfe flint_adapters)
# EAB, profiles and ARI through the whole pipeline (fixture: pipeline_test_util.h).
flint_test(wfe_lifecycle_test
  SOURCES ${_wfe}/eab_test.cc ${_wfe}/profiles_ari_test.cc
  DEPS flint_wfe flint_adapters)
flint_test(wfe_revocation_test
  SOURCES ${_wfe}/revocation_http_test.cc
  DEPS flint_wfe flint_adapters)
