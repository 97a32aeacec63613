#pragma once

// Everything of the rtp layer: RTP and RTCP packets, header extensions, RTX
// and the codec payload descriptors. Include the single headers where only
// one is needed.

#include "rtp/error.hpp"
#include "rtp/h264.hpp"
#include "rtp/header_extensions.hpp"
#include "rtp/opus.hpp"
#include "rtp/record_range.hpp"
#include "rtp/red.hpp"
#include "rtp/rtcp_feedback.hpp"
#include "rtp/rtcp_packet.hpp"
#include "rtp/rtcp_reports.hpp"
#include "rtp/rtp_packet.hpp"
#include "rtp/rtx.hpp"
#include "rtp/seq_num.hpp"
#include "rtp/transport_cc.hpp"
#include "rtp/vp8.hpp"
#include "rtp/vp9.hpp"
