/* fuzz_mqtt.c - twin-ingest -f mqtt: the first byte picks options (see
 * fuzz_ingest.h), the rest is the input file. */
#include "fuzz_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ingest(TW_FMT_MQTT, data, size);
	return 0;
}
