package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Builds and starts a {@link RedisSentinelGroup}: {@code
 * RedisSentinelGroup.builder().downAfter(Duration.ofSeconds(1)).start()}.
 */
public final class RedisSentinelGroupBuilder {
  private String masterName = "tokenherd";
  private Duration downAfter = Duration.ofSeconds(1);
  private Duration failoverTimeout = Duration.ofSeconds(5);
  private @Nullable String dataPassword;
  private @Nullable String sentinelPassword;
  private boolean appendOnly = true;
  private @Nullable TlsCertificates tls;

  RedisSentinelGroupBuilder() {}

  /**
   * Sets the name the Sentinels monitor the master under (default {@code tokenherd}).
   *
   * @param masterName letters, digits, {@code .}, {@code -} or {@code _}
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisSentinelGroupBuilder masterName(String masterName) {
    if (!requireNonNull(masterName, "masterName").matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("not a master name for a config file: " + masterName);
    }
    this.masterName = masterName;
    return this;
  }

  /**
   * Sets {@code down-after-milliseconds} (default 1 s): how long the master may not answer before a
   * Sentinel considers it down.
   *
   * @param downAfter a positive duration, in whole milliseconds
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisSentinelGroupBuilder downAfter(Duration downAfter) {
    this.downAfter = positive(downAfter, "downAfter");
    return this;
  }

  /**
   * Sets {@code failover-timeout} (default 5 s); a failover that found no replica to promote is
   * tried again after twice this.
   *
   * @param failoverTimeout a positive duration, in whole milliseconds
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisSentinelGroupBuilder failoverTimeout(Duration failoverTimeout) {
    this.failoverTimeout = positive(failoverTimeout, "failoverTimeout");
    return this;
  }

  /**
   * Requires a password on the data nodes ({@code requirepass}, and {@code masterauth} for their
   * replication), which the Sentinels use ({@code sentinel auth-pass}); never shown by {@code
   * toString()} or in failure messages.
   *
   * @param dataPassword the data nodes' password
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisSentinelGroupBuilder dataPassword(String dataPassword) {
    this.dataPassword = requireNonNull(dataPassword, "dataPassword");
    return this;
  }

  /**
   * Requires a password on the Sentinels themselves ({@code requirepass}, and {@code sentinel
   * sentinel-pass} for talking to each other), separate from the data nodes' one.
   *
   * @param sentinelPassword the Sentinels' password
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisSentinelGroupBuilder sentinelPassword(String sentinelPassword) {
    this.sentinelPassword = requireNonNull(sentinelPassword, "sentinelPassword");
    return this;
  }

  /**
   * Turns the data nodes' append-only file on (default) or off.
   *
   * @param appendOnly whether data nodes write an append-only file ({@code appendfsync always})
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisSentinelGroupBuilder appendOnly(boolean appendOnly) {
    this.appendOnly = appendOnly;
    return this;
  }

  /**
   * Runs every data node and Sentinel with TLS too ({@link RedisServerProcess.Builder#tls}):
   * replication and the Sentinels' connections use TLS, and the Sentinels name the data nodes and
   * each other by their {@linkplain RedisServerProcess#tlsPort TLS ports}, so {@link
   * RedisSentinelGroup#sentinelAddresses()} does too; the fixture itself keeps talking to the plain
   * ports.
   *
   * @param certificates the processes' certificate and key and the authority to trust
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisSentinelGroupBuilder tls(TlsCertificates certificates) {
    this.tls = requireNonNull(certificates, "certificates");
    return this;
  }

  /**
   * Starts the master, its two replicas and three Sentinels, and waits until every Sentinel knows
   * the master, both replicas (linked) and the other two Sentinels.
   *
   * @return the running group; close it to stop every process and delete its data
   * @throws IllegalStateException if a process does not start or the group does not settle within
   *     {@link StartupTimeout#get()} (the message says what each process said); every process
   *     started is stopped first
   */
  public RedisSentinelGroup start() {
    RedisSentinelGroup group =
        new RedisSentinelGroup(
            new SentinelConfig(
                masterName,
                downAfter,
                failoverTimeout,
                dataPassword,
                sentinelPassword,
                appendOnly,
                tls));
    try {
      group.start();
      return group;
    } catch (RuntimeException e) {
      group.close();
      throw e;
    }
  }

  private static Duration positive(Duration duration, String name) {
    if (requireNonNull(duration, name).toMillis() <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + duration);
    }
    return duration;
  }
}
