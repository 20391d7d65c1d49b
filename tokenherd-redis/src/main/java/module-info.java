// Lettuce and Redisson ship no module descriptor: they are automatic modules, hence the
// suppression. Both are transitive because the public constructors take their clients.
/**
 * Tokenherd on Redis: the token store and change feed on Lettuce, the fenced refresh lock on
 * Redisson. Exports only the roles; the record codec, cipher and write script stay internal.
 */
@org.jspecify.annotations.NullMarked
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.tokenherd.coordinator.redis {
  requires transitive dev.tokenherd.coordinator;
  requires transitive lettuce.core;
  requires transitive redisson;
  requires io.netty.common; // Lettuce client resources shut down with a Netty future
  requires reactor.core; // a sharded change feed watches its client's event bus
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;
  requires static transitive org.jspecify;
  requires static transitive com.google.errorprone.annotations;

  exports dev.tokenherd.coordinator.redis;
}
