/* shard.h - scaling out by asset, the way Kafka does.
 *
 * A tool that keeps state per asset runs as N shards with --shard K/N;
 * shard K takes the records whose asset hashes to K.  The hash and the
 * partition are exactly those of Kafka's default partitioner for a keyed
 * record (Utils.murmur2, then toPositive and modulo), so file shard K and
 * Kafka partition K of a topic keyed by asset hold the same assets.  The
 * key is the asset id's UTF-8 bytes as a Kafka StringSerializer sends
 * them: the decoded JSON string, not its escaped text.
 *
 * Ownership: nothing is allocated; the functions borrow their inputs. */
#ifndef TW_SHARD_H
#define TW_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Kafka's org.apache.kafka.common.utils.Utils.murmur2 of key[0..len),
 * its Java int returned as the same 32 bits unsigned. */
uint32_t tw_murmur2(const void *key, size_t len);

/* The partition, 0 <= result < n, Kafka would give key among n
 * partitions: (murmur2 & 0x7fffffff) % n.  n < 1 is taken as 1. */
int tw_shard_partition(const char *key, size_t len, int n);

/* Parses "K/N", both plain decimal digits, 0 <= K < N (K counts from 0
 * like Kafka partitions).  Returns 0 and sets *k and *n, or -1 with a
 * message ("--shard: '2/2' must be K/N with 0 <= K < N"). */
int tw_shard_parse(const char *spec, int *k, int *n, struct tw_err *e);

#endif
