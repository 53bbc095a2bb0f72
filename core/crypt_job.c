/*
 * core/crypt_job.c - one data-message AEAD job (see core/wg.h). Touches only
 * the job's own bytes and key, so any thread may run it.
 */
#include "core/crypt_job.h"

#include "crypto/aead.h"

void uwg_crypt_job_run(struct uwg_crypt_job *job)
{
	if (job->encrypt) {
		uwg_aead_encrypt(job->data, job->data, job->len, NULL, 0, job->counter, job->key);
		job->ok = true;
		return;
	}
	job->ok = uwg_aead_decrypt(job->data, job->data, job->len, NULL, 0, job->counter, job->key);
}
