package dev.tokenherd.testkit;

import java.nio.charset.StandardCharsets;

/**
 * The hash slot of a key, exactly as Redis Cluster computes it: CRC16 (XMODEM: polynomial 0x1021,
 * initial value 0) of the key's UTF-8 bytes, modulo 16384; if the key contains a <code>&#123;
 * </code> followed later by a <code>&#125;</code> with at least one byte between them, only the
 * bytes between the first <code>&#123;</code> and the first <code>&#125;</code> after it are hashed
 * (the hash tag).
 */
final class ClusterSlot {
  private static final int[] TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int crc = i << 8;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
      TABLE[i] = crc & 0xFFFF;
    }
  }

  private ClusterSlot() {}

  static int of(String key) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    int from = 0;
    int to = bytes.length;
    int open = indexOf(bytes, (byte) '{', 0);
    if (open >= 0) {
      int close = indexOf(bytes, (byte) '}', open + 1);
      if (close > open + 1) {
        from = open + 1;
        to = close;
      }
    }
    return crc16(bytes, from, to) % ClusterView.SLOTS;
  }

  static int crc16(byte[] bytes, int from, int to) {
    int crc = 0;
    for (int i = from; i < to; i++) {
      crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ bytes[i]) & 0xFF]) & 0xFFFF;
    }
    return crc;
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
