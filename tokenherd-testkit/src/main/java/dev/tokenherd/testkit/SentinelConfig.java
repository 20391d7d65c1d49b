package dev.tokenherd.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@link RedisSentinelGroupBuilder} was told, and the configuration file of each Sentinel it
 * derives from that. {@link #toString()} shows no password.
 */
record SentinelConfig(
    String masterName,
    Duration downAfter,
    Duration failoverTimeout,
    @Nullable String dataPassword,
    @Nullable String sentinelPassword,
    boolean appendOnly,
    @Nullable TlsCertificates tls) {

  /** The quorum: two of the three Sentinels must agree that the master is down. */
  static final int QUORUM = 2;

  /**
   * The lines of a Sentinel's configuration file after its {@code port} line (written by {@link
   * RedisServerProcess}); the Sentinel rewrites the file as it learns the group.
   */
  List<String> lines(int masterPort) {
    List<String> lines = new ArrayList<>();
    lines.add("bind 127.0.0.1");
    lines.add("sentinel resolve-hostnames no");
    lines.add("sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " " + QUORUM);
    lines.add("sentinel down-after-milliseconds " + masterName + " " + downAfter.toMillis());
    lines.add("sentinel failover-timeout " + masterName + " " + failoverTimeout.toMillis());
    lines.add("sentinel parallel-syncs " + masterName + " 1");
    if (dataPassword != null) {
      lines.add("sentinel auth-pass " + masterName + " " + dataPassword);
    }
    if (sentinelPassword != null) {
      // Its own requirepass is on the command line (RedisServerProcess's password); this is what
      // it presents to the other Sentinels, which require the same.
      lines.add("sentinel sentinel-pass " + sentinelPassword);
    }
    return lines;
  }

  @Override
  public String toString() {
    return "SentinelConfig[" + masterName + ", down-after " + downAfter + "]";
  }
}
