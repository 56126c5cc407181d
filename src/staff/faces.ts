/**
 * Face login for staff (issue 15):
 *   GET    /api/v1/members/:id/faces                         a member's face templates (no descriptors)
 *   POST   /api/v1/members/:id/faces                         {image | attemptId, consent: true} → 201 {id}
 *   GET    /api/v1/members/:id/faces/:faceId/thumbnail.jpg   the 96 px thumbnail staff see
 *   DELETE /api/v1/members/:id/faces/:faceId
 *   GET    /api/v1/faces/status                              on/off, threshold, margin, template count
 *   GET    /api/v1/faces/recent                              unrecognised device attempts of the last 10 minutes (memory only)
 *   GET    /api/v1/faces/recent/:attemptId/thumbnail.jpg
 *   POST   /api/v1/faces/purge                               (admin) face login off and every template deleted, in one audited job
 * Enrolment needs the member's recorded consent (consent: true; who = the signed-in staff, when = now).
 * Every change is audited in the same write job; audit rows never hold descriptors or images.
 */
import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { FACE_IMAGE_MAX_BYTES } from "../face/image.ts";
import { MAX_TEMPLATES_PER_MEMBER, buildIndex, descriptorToBlob, rankMembers } from "../face/match.ts";
import { AppError } from "../http/errors.ts";
import { MembersRepo } from "../store/members-repo.ts";
import { actor, type StaffGuard } from "./guard.ts";

const FaceView = t.Object({
  id: t.Integer(),
  memberId: t.Integer(),
  source: t.Union([t.Literal("image"), t.Literal("device")], { description: "image: a photo or API upload; device: a recent attempt on a device" }),
  sourceDevice: t.Union([t.String(), t.Null()], { description: "the device SN, for source = device" }),
  consentBy: t.String({ description: "staff username who recorded the member's consent" }),
  consentAt: t.Integer({ description: "when the consent was recorded (epoch ms)" }),
  createdAt: t.Integer(),
});

const MemberParams = t.Object({ id: t.Integer({ minimum: 1 }) });
const FaceParams = t.Object({ id: t.Integer({ minimum: 1 }), faceId: t.Integer({ minimum: 1 }) });

const faceLimit = () =>
  new AppError(409, "face_limit", `a member has at most ${MAX_TEMPLATES_PER_MEMBER} face templates; delete one first / 每位会员最多 ${MAX_TEMPLATES_PER_MEMBER} 个人脸模板`);

const jpeg = (bytes: Uint8Array) =>
  new Response(new Uint8Array(bytes), { headers: { "content-type": "image/jpeg", "cache-control": "private, no-store", "x-content-type-options": "nosniff" } });

export const facesApi = (deps: Deps, guard: StaffGuard) => {
  const face = deps.face;
  const members = deps.repos.members;
  const audit = deps.repos.audit;
  const requireMember = (id: number) => {
    if (!members.get(id)) throw new AppError(404, "not_found", `member ${id} does not exist`);
  };

  return new Elysia({ name: "staff-faces", prefix: "/api/v1" })
    .use(guard)
    .get(
      "/members/:id/faces",
      ({ params }) => {
        requireMember(params.id);
        return face.repo.forMember(params.id);
      },
      {
        params: MemberParams,
        response: t.Array(FaceView),
        detail: {
          summary: "A member's face templates / 会员的人脸模板",
          description:
            "Each template is a descriptor (never returned) and a 96 px thumbnail (thumbnail.jpg), with the consent it was enrolled under. " +
            "每个模板包含一个特征向量（不会返回）和一张 96 像素缩略图，以及录入时记录的同意（谁、何时）。",
          tags: ["faces"],
        },
      },
    )
    .post(
      "/members/:id/faces",
      async (ctx) => {
        const { id } = ctx.params;
        const { image, attemptId, consent } = ctx.body;
        requireMember(id);
        if (consent !== true) {
          throw new AppError(422, "consent_required", "consent: tick \"member agreed to face login\" (the member's consent is required) / 需要会员同意人脸登录", { field: "consent" });
        }
        if (face.repo.count(id) >= MAX_TEMPLATES_PER_MEMBER) throw faceLimit();
        let descriptor: number[], thumbnail: Uint8Array, source: "image" | "device", sourceDevice: string | null = null;
        if (attemptId !== undefined) {
          const a = face.attempt(attemptId);
          if (!a) throw new AppError(422, "attempt_gone", "attemptId: that device attempt is older than 10 minutes or already enrolled / 该设备记录已过期或已录入", { field: "attemptId" });
          ({ descriptor, thumbnailJpeg: thumbnail } = a);
          source = "device";
          sourceDevice = a.sn;
        } else if (image !== undefined) {
          const r = await face.analyse(image);
          if (r.kind === "bad_image") {
            throw new AppError(422, "bad_image", `image: not a readable PNG or JPEG under ${FACE_IMAGE_MAX_BYTES / 1024 / 1024} MB (${r.reason}) / 图片无法读取（仅限 PNG 或 JPEG）`, { field: "image" });
          }
          if (r.kind === "no_face") throw new AppError(422, "no_face", "image: no face found in the image / 图片中未找到人脸", { field: "image" });
          if (r.kind === "unavailable") throw new AppError(503, "face_busy", "face recognition is busy; try again / 人脸识别繁忙，请重试", {}, { "retry-after": "2" });
          ({ descriptor, thumbnailJpeg: thumbnail } = r.face);
          source = "image";
        } else {
          throw new AppError(422, "validation_failed", "image: give an image (data URL or base64) or an attemptId / 请提供图片或设备记录", { field: "image" });
        }
        // A face that another member would already be recognised with is refused: it would make both ambiguous.
        const clash = rankMembers(buildIndex(face.repo.all().filter((r) => r.memberId !== id)), descriptor, (m) => face.repo.memberStatus(m) !== null, 1)[0];
        if (clash && clash.distance < face.threshold()) {
          throw new AppError(409, "face_matches_other_member", `this face already matches member ${clash.memberId} / 该人脸与会员 ${clash.memberId} 匹配`, { memberId: clash.memberId });
        }
        const by = actor(ctx);
        const made = await deps.writes.enqueue(() => {
          // Checked again inside the write: two enrolments at once cannot pass the limit together.
          requireMember(id); // deleted while the image was analysed
          if (face.repo.count(id) >= MAX_TEMPLATES_PER_MEMBER) throw faceLimit();
          const row = face.repo.add({ memberId: id, descriptor: descriptorToBlob(descriptor), thumbnail, source, sourceDevice, consentBy: by, now: deps.now() });
          audit.record(by, "face.enrol", "member", String(id), null, { faceId: row.id, source, sourceDevice, consentBy: by, consentAt: row.consentAt });
          return row;
        });
        if (attemptId !== undefined) face.forget(attemptId);
        ctx.set.status = 201;
        return { id: made.id };
      },
      {
        params: MemberParams,
        body: t.Object(
          {
            image: t.Optional(t.String({ maxLength: 16 * 1024 * 1024, description: "PNG or JPEG as a data URL or bare base64; the largest face is enrolled. The image itself is not stored." })),
            attemptId: t.Optional(t.String({ maxLength: 64, description: "an unrecognised device attempt from GET /faces/recent (kept 10 minutes)" })),
            consent: t.Optional(t.Boolean({ description: "must be true: the member agreed to face login (recorded with who and when)" })),
          },
          { additionalProperties: false },
        ),
        response: { 201: t.Object({ id: t.Integer() }) },
        detail: {
          summary: "Enrol a face with the member's consent / 在会员同意后录入人脸",
          description:
            "201 {id}. 422 naming the field: consent (not true), image (no face, unreadable, not PNG/JPEG), attemptId (gone). 409 face_limit (5 per member) or face_matches_other_member. " +
            "Only the descriptor and a 96 px thumbnail are stored, never the image. The request body must fit the staff body limit (1 MiB by default): the page scales photos down first. " +
            "成功返回 201 {id}。422 并指明字段：consent（未同意）、image（无人脸、无法读取、非 PNG/JPEG）、attemptId（已过期）。409：每位会员最多 5 个模板，或该人脸已匹配其他会员。只保存特征向量和 96 像素缩略图，从不保存原图。",
          tags: ["faces"],
        },
      },
    )
    .get(
      "/members/:id/faces/:faceId/thumbnail.jpg",
      ({ params }) => {
        const b = face.repo.thumbnail(params.id, params.faceId);
        if (!b) throw new AppError(404, "not_found", `member ${params.id} has no face ${params.faceId}`);
        return jpeg(b);
      },
      { params: FaceParams, detail: { summary: "A face template's 96 px thumbnail (JPEG) / 人脸模板缩略图", tags: ["faces"] } },
    )
    .delete(
      "/members/:id/faces/:faceId",
      async (ctx) => {
        const { id, faceId } = ctx.params;
        await deps.writes.enqueue(() => {
          const row = face.repo.one(id, faceId);
          if (!row) throw new AppError(404, "not_found", `member ${id} has no face ${faceId}`);
          face.repo.delete(faceId);
          audit.record(actor(ctx), "face.remove", "member", String(id), { faceId, source: row.source, consentBy: row.consentBy, consentAt: row.consentAt }, null);
        });
        return { id: faceId, deleted: true };
      },
      {
        params: FaceParams,
        response: t.Object({ id: t.Integer(), deleted: t.Boolean() }),
        detail: { summary: "Delete a face template / 删除人脸模板", tags: ["faces"] },
      },
    )
    .get(
      "/faces/status",
      () => ({ enabled: face.enabled(), threshold: face.threshold(), margin: face.margin(), templates: Number(face.repo.signature().split(":")[0]) }),
      {
        response: t.Object({ enabled: t.Boolean(), threshold: t.Number(), margin: t.Number(), templates: t.Integer() }),
        detail: { summary: "Face login on or off, its threshold and margin, how many templates / 人脸登录状态", tags: ["faces"] },
      },
    )
    .get(
      "/faces/recent",
      () => face.recent().map((a) => ({ id: a.id, at: a.at, sn: a.sn, deviceName: a.deviceName, outcome: a.outcome })),
      {
        response: t.Array(
          t.Object({ id: t.String(), at: t.Integer(), sn: t.Union([t.String(), t.Null()]), deviceName: t.Union([t.String(), t.Null()]), outcome: t.Union([t.Literal("unknown"), t.Literal("ambiguous")]) }),
        ),
        detail: {
          summary: "Faces just seen on a device and not recognised (last 10 minutes, memory only) / 最近 10 分钟设备上未识别的人脸",
          description: "Kept in memory only, as a descriptor and a 96 px thumbnail, and forgotten after 10 minutes or a restart. 仅保存在内存中，10 分钟后或重启后即删除。",
          tags: ["faces"],
        },
      },
    )
    .get(
      "/faces/recent/:attemptId/thumbnail.jpg",
      ({ params }) => {
        const a = face.attempt(params.attemptId);
        if (!a) throw new AppError(404, "not_found", "that attempt is older than 10 minutes");
        return jpeg(a.thumbnailJpeg);
      },
      { params: t.Object({ attemptId: t.String({ maxLength: 64 }) }), detail: { summary: "A recent attempt's 96 px thumbnail / 最近记录的缩略图", tags: ["faces"] } },
    )
    .post(
      "/faces/purge",
      async (ctx) => {
        const by = actor(ctx);
        const deleted = await deps.writes.enqueue(() => {
          const before = deps.settings.get("face.enabled");
          deps.settings.set("face.enabled", false, by);
          const n = face.repo.deleteAll();
          audit.record(by, "face.purge", "face_templates", null, { enabled: before, templates: n }, { enabled: false, templates: 0 });
          return n;
        });
        face.forgetAll();
        return { enabled: false, deleted };
      },
      {
        admin: true,
        response: t.Object({ enabled: t.Boolean(), deleted: t.Integer() }),
        detail: {
          summary: "Turn face login off and delete every face template (admin, audited) / 关闭人脸登录并删除全部人脸模板（管理员，记入审计）",
          tags: ["faces"],
        },
      },
    );
};
