#pragma once

// SDP for the WebRTC media engine: parse an offer, build an answer.
// See parser.hpp and writer.hpp.

#include "sdp/candidate.hpp"
#include "sdp/codec.hpp"
#include "sdp/error.hpp"
#include "sdp/parameter.hpp"
#include "sdp/parser.hpp"
#include "sdp/rid.hpp"
#include "sdp/session_description.hpp"
#include "sdp/simulcast.hpp"
#include "sdp/writer.hpp"
