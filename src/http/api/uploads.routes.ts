// Uploads (src/library/uploads.ts): POST /uploads takes multipart/form-data with one or more files (any
// field name), streamed part by part with busboy into the domain's staging; GET /uploads and DELETE
// /uploads/:id are the caller's own; GET/PUT /admin/uploads choose where uploads go.
import type busboy from 'busboy';
import { z } from 'zod';
import type { User } from '../../accounts/users.service.ts';
import {
  changeUploadSettings,
  commitUploads,
  deleteUpload,
  discardStaged,
  listUploads,
  MAX_FILES_PER_UPLOAD,
  openUploadPlace,
  type RescanDeps,
  type StagedUpload,
  scanUploads,
  stageUpload,
  type UploadPlace,
  type UploadView,
  uploadSettings,
} from '../../library/uploads.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { AppContext } from '../context.ts';
import type { Services } from '../services.ts';
import { route } from './route.ts';
import { idParams, isoTime, page, pageQuery } from './schemas.ts';

const uploadSchema = z
  .object({
    id: z.string(),
    name: z
      .string()
      .describe('The file name in the upload folder (sanitised; "Name (2).flac" after a clash).'),
    originalName: z.string().describe('The name the client sent.'),
    libraryId: z.number().int(),
    path: z.string().describe('Relative to the library root: <folder>/<username>/<name>.'),
    size: z.number().int(),
    contentType: z.string().describe('Of the content as read, not as declared.'),
    state: z
      .enum(['scanned', 'pending', 'failed'])
      .describe('scanned: trackId is its track; pending: not scanned yet; failed: reason says why.'),
    trackId: z.string().nullable(),
    reason: z.string().nullable(),
    uploadedAt: isoTime,
  })
  .meta({ id: 'Upload' });

const uploadSettingsSchema = z
  .object({
    libraryId: z.number().int().nullable().describe('The library uploads go to; null: uploads are off.'),
    folder: z.string().describe('Relative to the library root; each user gets <folder>/<username>/.'),
    maxFileSize: z.number().int().describe('Bytes one file may have.'),
  })
  .meta({ id: 'UploadSettings' });

const uploadSettingsBody = z.strictObject({
  libraryId: z.number().int().nullable(),
  folder: z.string().min(1).max(500).optional(),
  maxFileSize: z
    .number()
    .int()
    .min(1024)
    .max(2 ** 40)
    .optional(),
});

function uploadJson(view: UploadView): z.input<typeof uploadSchema> {
  return { ...view, uploadedAt: new Date(view.uploadedAt).toISOString() };
}

function rescanDeps(services: Services, ctx: AppContext): RescanDeps {
  const scanner = services.scanner;
  return {
    db: services.db,
    logger: ctx.state.log,
    events: services.events,
    scan: scanner ? (libraryIds) => scanner.scan({ libraryIds }) : undefined,
  };
}

export const uploadRoutes = [
  route({
    method: 'post',
    path: '/uploads',
    tag: 'Uploads',
    summary: 'Upload audio files (multipart/form-data, one or more files)',
    description:
      'Needs the upload role. Each file is checked to be audio by its content, stored in the caller’s ' +
      'folder of the upload library and scanned at once; the answer waits for that scan (up to 15 s): ' +
      'files not scanned by then are `pending` and a notification event follows. All files of a request ' +
      'are stored, or none.',
    access: 'user',
    consumes: 'multipart/form-data',
    response: z.object({ items: z.array(uploadSchema) }),
    status: 201,
    errors: [409, 413, 415, 503],
    async handle({ ctx, services, user }) {
      if (!ctx.is('multipart/form-data'))
        throw new TonearmError('UNSUPPORTED_MEDIA_TYPE', 'send the files as multipart/form-data');
      const place = await openUploadPlace(services.db, user);
      const staged = await receiveFiles(ctx, place);
      const ids = await commitUploads(services.db, place, staged);
      ctx.state.log.info(
        { files: staged.map((file) => file.name), library: place.libraryId },
        'files uploaded',
      );
      const views = await scanUploads(rescanDeps(services, ctx), user, place.libraryId, ids);
      return { items: views.map(uploadJson) };
    },
  }),
  route({
    method: 'get',
    path: '/uploads',
    tag: 'Uploads',
    summary: 'The caller’s uploads, newest first',
    access: 'user',
    query: z.object(pageQuery),
    response: page(uploadSchema),
    handle({ services, user, query }) {
      return pageOfUploads(services, user, query.limit, query.cursor);
    },
  }),
  route({
    method: 'delete',
    path: '/uploads/:id',
    tag: 'Uploads',
    summary: 'Remove one of the caller’s uploads (its file and, after a scan, its track)',
    access: 'user',
    params: idParams,
    status: 204,
    errors: [404, 503],
    async handle({ ctx, services, user, params }) {
      await deleteUpload(rescanDeps(services, ctx), user, params.id);
    },
  }),
  route({
    method: 'get',
    path: '/admin/uploads',
    tag: 'Uploads',
    summary: 'Where uploads go',
    access: 'admin',
    response: uploadSettingsSchema,
    handle({ services }) {
      return uploadSettings(services.db);
    },
  }),
  route({
    method: 'put',
    path: '/admin/uploads',
    tag: 'Uploads',
    summary: 'Choose where uploads go (libraryId null turns uploads off)',
    access: 'admin',
    body: uploadSettingsBody,
    response: uploadSettingsSchema,
    errors: [404],
    handle({ services, body }) {
      return changeUploadSettings(services.db, body);
    },
  }),
];

function pageOfUploads(services: Services, user: User, limit: number, cursor: string | undefined) {
  let after: { createdAt: number; id: string } | undefined;
  if (cursor) {
    const [createdAt, id] = decodeCursor(cursor, 2);
    if (typeof createdAt !== 'number' || typeof id !== 'string')
      throw new TonearmError(
        'INVALID_INPUT',
        'cursor is not valid: pass the nextCursor of the previous page',
      );
    after = { createdAt, id };
  }
  const views = listUploads(services.db, user, { after, limit: limit + 1 });
  const items = views.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(uploadJson),
    nextCursor: views.length > limit && last ? encodeCursor([last.uploadedAt, last.id]) : null,
  };
}

/**
 * Reads the multipart body: every file part is staged as it arrives (other fields are ignored). Settles
 * once every staged file is done with; on any failure — a file refused, too many files, a malformed body,
 * the client hanging up — every file of the request is removed and the first error thrown. A refusal is
 * answered at once: the connection is closed after it rather than the rest of the body read.
 */
async function receiveFiles(ctx: AppContext, place: UploadPlace): Promise<StagedUpload[]> {
  const { req } = ctx;
  const makeParser = await loadBusboy();
  return new Promise((resolve, reject) => {
    const staged: StagedUpload[] = [];
    const jobs: Promise<void>[] = [];
    const open = new Set<NodeJS.ReadableStream & { destroy(error?: Error): void }>();
    let failure: unknown;
    let finished = false;

    const settle = async () => {
      await Promise.allSettled(jobs);
      if (failure === undefined && staged.length === 0)
        failure = new TonearmError('INVALID_INPUT', 'send at least one file');
      if (failure === undefined) return resolve(staged);
      await discardStaged(staged.filter(Boolean));
      reject(failure);
    };
    const fail = (error: unknown) => {
      if (failure !== undefined) return;
      failure = error;
      req.unpipe(parser);
      // Whatever is still streaming stops (its temporary file is removed by stageUpload).
      for (const stream of open) stream.destroy(error instanceof Error ? error : new Error(String(error)));
      if (!req.destroyed) ctx.set('Connection', 'close');
      void settle();
    };

    let parser: busboy.Busboy;
    try {
      parser = makeParser({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: {
          files: MAX_FILES_PER_UPLOAD,
          // The domain counts and refuses; this only stops busboy from buffering beyond it.
          fileSize: place.maxFileSize + 1,
          fields: 20,
          fieldSize: 4096,
          parts: MAX_FILES_PER_UPLOAD + 20,
          headerPairs: 50,
        },
      });
    } catch (error) {
      reject(
        new TonearmError('INVALID_INPUT', `the multipart body cannot be read: ${(error as Error).message}`),
      );
      return;
    }
    parser.on('file', (_field, stream, info) => {
      if (failure !== undefined) {
        stream.resume();
        return;
      }
      open.add(stream);
      const index = jobs.length;
      jobs.push(
        stageUpload(place, info.filename ?? '', stream).then(
          async (file) => {
            open.delete(stream);
            // In the request's order, whichever file's checks end first.
            if (failure === undefined) staged[index] = file;
            else await discardStaged([file]);
          },
          (error: unknown) => {
            open.delete(stream);
            fail(error);
          },
        ),
      );
    });
    parser.on('filesLimit', () =>
      fail(new TonearmError('INVALID_INPUT', `send at most ${MAX_FILES_PER_UPLOAD} files per request`)),
    );
    parser.on('partsLimit', () => fail(new TonearmError('INVALID_INPUT', 'the request has too many parts')));
    parser.on('error', (error: Error) =>
      fail(new TonearmError('INVALID_INPUT', `the multipart body cannot be read: ${error.message}`)),
    );
    parser.on('close', () => {
      finished = true;
      if (failure === undefined) void settle();
    });
    // A client that hangs up mid-body: busboy is never told, so the request says it.
    req.once('close', () => {
      if (!finished && !req.complete) fail(new TonearmError('BAD_REQUEST', 'the upload was interrupted'));
    });
    req.pipe(parser);
  });
}

// Loaded at the first upload: most servers never take one, and idle memory is what a NAS notices.
let busboyModule: Promise<typeof busboy> | undefined;
function loadBusboy(): Promise<typeof busboy> {
  busboyModule ??= import('busboy').then((module) => module.default);
  return busboyModule;
}
