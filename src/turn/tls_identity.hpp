#pragma once

// The TLS identity of the TURN-over-TLS listener (RFC 8656 §3.1): the
// operator's certificate and key, or, for development, a self-signed
// certificate generated at start.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace parley::turn {

// Throws std::runtime_error naming what failed.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                            const std::string& key_file);

// Sets a fresh self-signed P-256 certificate (CN=parley-turn, valid 1 year)
// on `ctx`. Throws on failure.
void use_self_signed_certificate(boost::asio::ssl::context& ctx);

}  // namespace parley::turn
