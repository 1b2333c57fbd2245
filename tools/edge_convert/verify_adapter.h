// tools/edge_convert/verify_adapter.h: --verify of an adapter or a training
// checkpoint (.eta, .eta.ckpt): the same full read edge-run --lora and
// edge-tune --resume do, so --verify and loading agree.
#pragma once

#include <string>

namespace edgert {

// True when the file starts like an .eta file (identifier "ETA1" at byte 4);
// false for anything else, unreadable files included (the model path reports those).
bool LooksLikeAdapterFile(const std::string& path);
int VerifyAdapter(const std::string& path);  // exit code

}  // namespace edgert
