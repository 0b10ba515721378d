/* fuzz-tar.c: libFuzzer harness for the layer reader over the memory
 * source: any blob must give entries or an error, never a crash, a leak,
 * a hang or memory beyond the limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "layer/input.h"
#include "layer/tar-read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* small limits so the fuzzer reaches them, not the RSS cap */
	struct tar_limits lim = { 64 * 1024, 1024, 4096 };
	struct layer_input_opts opts = LAYER_INPUT_OPTS_INIT;
	struct tar_entry e = TAR_ENTRY_INIT;
	struct kerr err = KERR_INIT;
	struct layer_input *in;
	struct tar_reader *r;
	char buf[1024];
	int n;

	/* a digest that never matches exercises the mismatch path */
	opts.digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	if (layer_input_open_mem(&in, data, size, &opts, &err) < 0) {
		kerr_clear(&err);
		return 0;
	}
	r = tar_reader_new(layer_input_source, in, &lim);
	while ((n = tar_reader_next(r, &e, &err)) > 0) {
		/* read some entries' content, leave others to be skipped */
		if (e.size & 1)
			while (tar_reader_read(r, buf, sizeof(buf), &err) > 0)
				;
	}
	tar_entry_clear(&e);
	tar_reader_free(r);
	if (n == 0)
		layer_input_finish(in, &err);
	kerr_clear(&err);
	layer_input_free(in);
	return 0;
}
