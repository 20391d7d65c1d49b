/**
 * Tokenherd for OkHttp: {@link dev.tokenherd.okhttp.TokenherdOkHttp#install} adds the {@link
 * dev.tokenherd.okhttp.TokenherdInterceptor} (the {@code Authorization} header) and the {@link
 * dev.tokenherd.okhttp.TokenherdAuthenticator} (one retry after a 401) to a client builder.
 */
@NullMarked
@CheckReturnValue
package dev.tokenherd.okhttp;

import com.google.errorprone.annotations.CheckReturnValue;
import org.jspecify.annotations.NullMarked;
