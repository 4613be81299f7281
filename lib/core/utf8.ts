/** UTF-8 byte length of `text`, without allocating an encoded copy. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    // A high surrogate followed by a low one: a 4-byte character. Past the end, charCodeAt gives NaN: no surrogate.
    else if ((unit & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    }
    // Any other unit takes 3, a lone surrogate included (it is sent as U+FFFD).
    else bytes += 3;
  }
  return bytes;
}
