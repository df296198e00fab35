// A random-access tokenizer for music-metadata that reads the file in 64 KiB blocks with synchronous
// reads and serves the parser's many small reads (frame headers, tag fields) from those blocks. The
// stock file tokenizer sends every small read through the thread pool as its own promise; in a tag
// reader worker, blocking reads of whole blocks are several times faster.
import fs from 'node:fs';
import { AbstractTokenizer, EndOfStreamError, type IFileInfo, type IReadChunkOptions } from 'strtok3';

const BLOCK_SIZE = 64 * 1024;
const MAX_CACHED_BLOCKS = 16;

export class CachedFileTokenizer extends AbstractTokenizer {
  fileInfo: IFileInfo & { size: number };
  /**
   * The first read that failed (EIO, ESTALE, ...): some parsers catch what the tokenizer throws and carry
   * on, so the caller asks here whether the parse saw the whole file.
   */
  ioError: NodeJS.ErrnoException | undefined;
  private readonly fd: number;
  private readonly blocks = new Map<number, Buffer>();

  private constructor(fd: number, fileInfo: IFileInfo & { size: number }) {
    super();
    this.fd = fd;
    this.fileInfo = fileInfo;
  }

  static open(file: string): CachedFileTokenizer {
    const fd = fs.openSync(file, 'r');
    try {
      const stat = fs.fstatSync(fd);
      return new CachedFileTokenizer(fd, { path: file, size: stat.size });
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  supportsRandomAccess(): boolean {
    return true;
  }

  setPosition(position: number): void {
    this.validateLength(position, 'position');
    this.position = position;
  }

  async readBuffer(target: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const normalized = this.normalizeOptions(target, options);
    const read = this.readAt(target, normalized.length, normalized.position, Boolean(normalized.mayBeLess));
    this.position = normalized.position + read;
    return read;
  }

  async peekBuffer(target: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const normalized = this.normalizeOptions(target, options);
    return this.readAt(target, normalized.length, normalized.position, Boolean(normalized.mayBeLess));
  }

  protected override async closeOnce(): Promise<void> {
    this.blocks.clear();
    fs.closeSync(this.fd);
    await super.closeOnce();
  }

  /**
   * Bytes at a position, fewer at the end of the file: for readers outside the parser (stream-length.ts).
   * Small reads come from the block cache, so looking at a tag the parser just read costs nothing.
   */
  readRange(position: number, length: number): Uint8Array {
    const available = Math.max(0, Math.min(length, this.fileInfo.size - position));
    const target = Buffer.allocUnsafe(available);
    const read = this.readAt(target, available, position, true);
    return target.subarray(0, read);
  }

  /** Whether any block read so far contains the bytes (a cheap presence test for skipped tags). */
  sawBytes(needle: Buffer): boolean {
    for (const block of this.blocks.values()) if (block.includes(needle)) return true;
    return false;
  }

  private readAt(target: Uint8Array, length: number, position: number, mayBeLess: boolean): number {
    const available = Math.max(0, Math.min(length, this.fileInfo.size - position));
    if (available < length && !mayBeLess) throw new EndOfStreamError();
    if (available > BLOCK_SIZE * 2) {
      // Large reads (pictures, whole frames) go straight to the file.
      return this.readSync(target, available, position);
    }
    let copied = 0;
    while (copied < available) {
      const offset = position + copied;
      const blockIndex = Math.floor(offset / BLOCK_SIZE);
      const block = this.block(blockIndex);
      const start = offset - blockIndex * BLOCK_SIZE;
      const count = Math.min(available - copied, block.length - start);
      if (count <= 0) break;
      target.set(block.subarray(start, start + count), copied);
      copied += count;
    }
    return copied;
  }

  private readSync(target: Uint8Array, length: number, position: number): number {
    try {
      return fs.readSync(this.fd, target, 0, length, position);
    } catch (error) {
      this.ioError ??= error as NodeJS.ErrnoException;
      throw error;
    }
  }

  private block(index: number): Buffer {
    let block = this.blocks.get(index);
    if (block) return block;
    const buffer = Buffer.allocUnsafe(BLOCK_SIZE);
    const read = this.readSync(buffer, BLOCK_SIZE, index * BLOCK_SIZE);
    block = buffer.subarray(0, read);
    if (this.blocks.size >= MAX_CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(index, block);
    return block;
  }
}
