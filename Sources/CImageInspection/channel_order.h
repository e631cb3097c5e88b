// How a decoded colour image lays out its channels: libjpeg and OpenCV give BGR, a PNG keeps RGB.
#ifndef RUNCLINIC_CHANNEL_ORDER_H
#define RUNCLINIC_CHANNEL_ORDER_H

namespace {

// The order of a colour image's channels: OpenCV's and libjpeg's BGR, or a PNG's RGB as stored.
enum class ChannelOrder { bgr, rgb };

// Where blue (0), green (1) or red (2) lies among a pixel's channels.
constexpr int channel_of(int colour, ChannelOrder order) { return order == ChannelOrder::rgb ? 2 - colour : colour; }

}  // namespace

#endif
