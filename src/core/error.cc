#include "core/error.h"

namespace flint::core {

std::string_view ErrorTypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kAccountDoesNotExist: return "accountDoesNotExist";
    case ErrorType::kAlreadyRevoked: return "alreadyRevoked";
    case ErrorType::kBadCsr: return "badCSR";
    case ErrorType::kBadNonce: return "badNonce";
    case ErrorType::kBadPublicKey: return "badPublicKey";
    case ErrorType::kBadRevocationReason: return "badRevocationReason";
    case ErrorType::kBadSignatureAlgorithm: return "badSignatureAlgorithm";
    case ErrorType::kCaa: return "caa";
    case ErrorType::kCompound: return "compound";
    case ErrorType::kConnection: return "connection";
    case ErrorType::kDns: return "dns";
    case ErrorType::kExternalAccountRequired: return "externalAccountRequired";
    case ErrorType::kIncorrectResponse: return "incorrectResponse";
    case ErrorType::kInvalidContact: return "invalidContact";
    case ErrorType::kMalformed: return "malformed";
    case ErrorType::kOrderNotReady: return "orderNotReady";
    case ErrorType::kRateLimited: return "rateLimited";
    case ErrorType::kRejectedIdentifier: return "rejectedIdentifier";
    case ErrorType::kServerInternal: return "serverInternal";
    case ErrorType::kTls: return "tls";
    case ErrorType::kUnauthorized: return "unauthorized";
    case ErrorType::kUnsupportedContact: return "unsupportedContact";
    case ErrorType::kUnsupportedIdentifier: return "unsupportedIdentifier";
    case ErrorType::kUserActionRequired: return "userActionRequired";
    case ErrorType::kAlreadyReplaced: return "alreadyReplaced";
    case ErrorType::kInvalidProfile: return "invalidProfile";
    case ErrorType::kMethodNotAllowed:
    case ErrorType::kUnsupportedMediaType:
    case ErrorType::kPayloadTooLarge:
    case ErrorType::kNotFound:
    case ErrorType::kConflict: return "malformed";
    case ErrorType::kInternal:
    case ErrorType::kUnavailable: return "serverInternal";
  }
  return "serverInternal";
}

}  // namespace flint::core
