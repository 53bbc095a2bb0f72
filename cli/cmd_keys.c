/*
 * cli/cmd_keys.c - `uwg genkey`, `uwg genpsk`, `uwg pubkey`: base64 keys on
 * stdout exactly as wg prints them. Main thread only.
 */
#include "cli/cmd_main.h"
#include "cli/commands.h"

#include <ctype.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "crypto/encoding.h"
#include "crypto/x25519.h"

static int init(void)
{
	if (uwg_crypto_init() < 0) {
		fprintf(stderr, "uwg: cannot initialise the crypto library\n");
		return -1;
	}
	return 0;
}

static void warn_world_readable(void)
{
	struct stat st;

	if (!fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		fputs("Warning: writing to world accessible file.\nConsider setting the umask to "
		      "077 and trying again.\n", stderr);
}

static int put_key(const uint8_t key[UWG_KEY_LEN])
{
	char b64[UWG_KEY_B64_LEN];
	int ret = 0;

	uwg_key_to_base64(b64, key);
	if (puts(b64) < 0 || fflush(stdout) != 0) {
		perror("uwg: writing the key");
		ret = 1;
	}
	uwg_memzero(b64, sizeof(b64));
	return ret;
}

static int gen(int argc, char **argv, bool private)
{
	uint8_t key[UWG_KEY_LEN], pub[UWG_KEY_LEN];
	int ret;

	if (argc != 1) {
		uwg_subcommand_usage(stderr, argv[0]);
		return 1;
	}
	if (init())
		return 1;
	warn_world_readable();
	if (private)
		uwg_x25519_generate(key, pub);
	else
		uwg_random_bytes(key, sizeof(key));
	ret = put_key(key);
	uwg_memzero(key, sizeof(key));
	return ret;
}

int uwg_cmd_genkey_main(int argc, char **argv)
{
	return gen(argc, argv, true);
}

int uwg_cmd_genpsk_main(int argc, char **argv)
{
	return gen(argc, argv, false);
}

int uwg_cmd_pubkey_main(int argc, char **argv)
{
	char in[128];
	uint8_t priv[UWG_KEY_LEN], pub[UWG_KEY_LEN];
	size_t len, start = 0;
	int ret = 1;

	if (argc != 1) {
		uwg_subcommand_usage(stderr, argv[0]);
		return 1;
	}
	if (init())
		return 1;
	len = fread(in, 1, sizeof(in) - 1, stdin);
	in[len] = '\0';
	while (len && isspace((unsigned char)in[len - 1]))
		in[--len] = '\0';
	while (isspace((unsigned char)in[start]))
		start++;
	if (!uwg_key_from_base64(priv, in + start)) {
		fprintf(stderr, "uwg: Key is not the correct length or format\n");
	} else if (!uwg_x25519_public(pub, priv)) {
		fprintf(stderr, "uwg: cannot compute the public key\n");
	} else {
		ret = put_key(pub);
	}
	uwg_memzero(in, sizeof(in));
	uwg_memzero(priv, sizeof(priv));
	return ret;
}
