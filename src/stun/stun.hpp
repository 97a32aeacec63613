#pragma once

// Everything of the STUN codec except the asio conversions
// (stun/asio_endpoint.hpp), for code that uses most of it.

#include "stun/address.hpp"
#include "stun/attribute_type.hpp"
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/channel_data.hpp"
#include "stun/constants.hpp"
#include "stun/error.hpp"
#include "stun/error_codes.hpp"
#include "stun/fingerprint.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"
#include "stun/message_type.hpp"
#include "stun/transaction_id.hpp"
