/**
 * CLUSTER SHARDS / CLUSTER SLOTS replies captured from a real redis-server 7.0.15 cluster
 * (3 primaries, 1 replica each, slot 0 moved to the second shard with CLUSTER SETSLOT … NODE),
 * as the decoder yields them: RESP3 maps as plain objects, RESP2 as flat arrays.
 */
import type { RespValue } from '../../../src/resp/types.js';

export const SHARDS_RESP3: RespValue = [
  {
    "slots": [
      10923,
      16383
    ],
    "nodes": [
      {
        "id": "128d0563de544e6496d3941c372a1bc2727ad5ae",
        "port": 46655,
        "ip": "127.0.0.1",
        "endpoint": "127.0.0.1",
        "role": "master",
        "replication-offset": 406,
        "health": "online"
      },
      {
        "id": "f83277c2c3c58f261b95ed6737514dd4628e7382",
        "port": 45995,
        "ip": "127.0.0.1",
        "endpoint": "127.0.0.1",
        "role": "replica",
        "replication-offset": 406,
        "health": "online"
      }
    ]
  },
  {
    "slots": [
      0,
      0,
      5461,
      10922
    ],
    "nodes": [
      {
        "id": "ac68825e5ce169563eb5d1f3e59430d049d6555b",
        "port": 38905,
        "ip": "127.0.0.1",
        "endpoint": "127.0.0.1",
        "role": "master",
        "replication-offset": 392,
        "health": "online"
      },
      {
        "id": "2e79bb9c87fd04a4eea0cf3c630a19a1aced68fe",
        "port": 40853,
        "ip": "127.0.0.1",
        "endpoint": "127.0.0.1",
        "role": "replica",
        "replication-offset": 406,
        "health": "online"
      }
    ]
  },
  {
    "slots": [
      1,
      5460
    ],
    "nodes": [
      {
        "id": "2b0e388a396496beca5ae0c5ff559cfaa60e0738",
        "port": 43407,
        "ip": "127.0.0.1",
        "endpoint": "127.0.0.1",
        "role": "master",
        "replication-offset": 406,
        "health": "online"
      },
      {
        "id": "e32d0f21485338447f9477794ad5f4879870bc52",
        "port": 35763,
        "ip": "127.0.0.1",
        "endpoint": "127.0.0.1",
        "role": "replica",
        "replication-offset": 406,
        "health": "online"
      }
    ]
  }
];

export const SHARDS_RESP2: RespValue = [
  [
    "slots", [10923, 16383],
    "nodes", [
      ["id", "128d0563de544e6496d3941c372a1bc2727ad5ae", "port", 46655, "ip", "127.0.0.1", "endpoint", "127.0.0.1", "role", "master", "replication-offset", 406, "health", "online"],
      ["id", "f83277c2c3c58f261b95ed6737514dd4628e7382", "port", 45995, "ip", "127.0.0.1", "endpoint", "127.0.0.1", "role", "replica", "replication-offset", 406, "health", "online"],
    ],
  ],
  [
    "slots", [0, 0, 5461, 10922],
    "nodes", [
      ["id", "ac68825e5ce169563eb5d1f3e59430d049d6555b", "port", 38905, "ip", "127.0.0.1", "endpoint", "127.0.0.1", "role", "master", "replication-offset", 392, "health", "online"],
      ["id", "2e79bb9c87fd04a4eea0cf3c630a19a1aced68fe", "port", 40853, "ip", "127.0.0.1", "endpoint", "127.0.0.1", "role", "replica", "replication-offset", 392, "health", "online"],
    ],
  ],
  [
    "slots", [1, 5460],
    "nodes", [
      ["id", "2b0e388a396496beca5ae0c5ff559cfaa60e0738", "port", 43407, "ip", "127.0.0.1", "endpoint", "127.0.0.1", "role", "master", "replication-offset", 406, "health", "online"],
      ["id", "e32d0f21485338447f9477794ad5f4879870bc52", "port", 35763, "ip", "127.0.0.1", "endpoint", "127.0.0.1", "role", "replica", "replication-offset", 392, "health", "online"],
    ],
  ],
];

export const SLOTS_RESP3: RespValue = [
  [0, 0,
    ["127.0.0.1", 38905, "ac68825e5ce169563eb5d1f3e59430d049d6555b", {}],
    ["127.0.0.1", 40853, "2e79bb9c87fd04a4eea0cf3c630a19a1aced68fe", {}],
  ],
  [1, 5460,
    ["127.0.0.1", 43407, "2b0e388a396496beca5ae0c5ff559cfaa60e0738", {}],
    ["127.0.0.1", 35763, "e32d0f21485338447f9477794ad5f4879870bc52", {}],
  ],
  [5461, 10922,
    ["127.0.0.1", 38905, "ac68825e5ce169563eb5d1f3e59430d049d6555b", {}],
    ["127.0.0.1", 40853, "2e79bb9c87fd04a4eea0cf3c630a19a1aced68fe", {}],
  ],
  [10923, 16383,
    ["127.0.0.1", 46655, "128d0563de544e6496d3941c372a1bc2727ad5ae", {}],
    ["127.0.0.1", 45995, "f83277c2c3c58f261b95ed6737514dd4628e7382", {}],
  ],
];

export const SLOTS_RESP2: RespValue = [
  [0, 0,
    ["127.0.0.1", 38905, "ac68825e5ce169563eb5d1f3e59430d049d6555b", []],
    ["127.0.0.1", 40853, "2e79bb9c87fd04a4eea0cf3c630a19a1aced68fe", []],
  ],
  [1, 5460,
    ["127.0.0.1", 43407, "2b0e388a396496beca5ae0c5ff559cfaa60e0738", []],
    ["127.0.0.1", 35763, "e32d0f21485338447f9477794ad5f4879870bc52", []],
  ],
  [5461, 10922,
    ["127.0.0.1", 38905, "ac68825e5ce169563eb5d1f3e59430d049d6555b", []],
    ["127.0.0.1", 40853, "2e79bb9c87fd04a4eea0cf3c630a19a1aced68fe", []],
  ],
  [10923, 16383,
    ["127.0.0.1", 46655, "128d0563de544e6496d3941c372a1bc2727ad5ae", []],
    ["127.0.0.1", 45995, "f83277c2c3c58f261b95ed6737514dd4628e7382", []],
  ],
];
