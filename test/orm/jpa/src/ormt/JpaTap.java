// JpaTap: JPA (EclipseLink, Debian's libeclipselink-java, with pgjdbc)
// against orm_triggers, set up as doc/orm/jpa.md says: DDL through native
// queries, entities with @Version, the triggers owning the timestamp and
// actor columns.  The regions between recipe markers here and in the other
// files of test/orm/jpa/src are the recipe's code blocks
// (test/t/079_recipes.pl compares them).
// Prints TAP; compiled and run by test/t/073_orm_jpa.pl.
//
// Needs PGHOST (a TCP address), PGPORT, PGUSER and PGPASSWORD of a running
// server where CREATE EXTENSION works.
package ormt;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.LockModeType;
import javax.persistence.OptimisticLockException;
import javax.persistence.Persistence;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

public class JpaTap {
    static final String DB = "orm_jpa";
    static int n = 0;
    static int failed = 0;
    static EntityManagerFactory emf;

    static void ok(boolean cond, String name) {
        n++;
        if (!cond)
            failed++;
        System.out.println((cond ? "ok " : "not ok ") + n + " - " + name);
        System.out.flush();
    }

    interface Action {
        void run() throws Exception;
    }

    // ok() for an action that must throw an exception of class cls (itself or
    // as a cause); returns it
    static Throwable raises(Class<? extends Throwable> cls, String name, Action action) {
        try {
            action.run();
        } catch (Throwable e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (cls.isInstance(c)) {
                    ok(true, name);
                    return c;
                }
            }
            ok(false, name + " (threw " + e + ")");
            return null;
        }
        ok(false, name + " (nothing thrown)");
        return null;
    }

    static String url(String db) {
        return "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/" + db;
    }

    static Connection jdbc(String db) throws Exception {
        return DriverManager.getConnection(url(db), System.getenv("PGUSER"), System.getenv("PGPASSWORD"));
    }

    // one transaction of the application: begin, work, commit (rollback on error)
    static void tx(Consumer<EntityManager> work) {
        EntityManager em = emf.createEntityManager();
        try {
            em.getTransaction().begin();
            work.accept(em);
            em.getTransaction().commit();
        } finally {
            if (em.getTransaction().isActive())
                em.getTransaction().rollback();
            em.close();
        }
    }

    static Object one(String sql) {
        EntityManager em = emf.createEntityManager();
        try {
            return em.createNativeQuery(sql).getSingleResult();
        } finally {
            em.close();
        }
    }

    static Widget load(long id) {
        EntityManager em = emf.createEntityManager();
        try {
            return em.find(Widget.class, id);
        } finally {
            em.close();
        }
    }

    static Timestamp dbNow(EntityManager em) {
        return (Timestamp) em.createNativeQuery("SELECT now()").getSingleResult();
    }

    public static void main(String[] args) throws Exception {
        try (Connection admin = jdbc("postgres")) {
            admin.createStatement().execute("DROP DATABASE IF EXISTS " + DB);
            admin.createStatement().execute("CREATE DATABASE " + DB);
        }
        Map<String, Object> props = new HashMap<>();
        props.put("javax.persistence.jdbc.url", url(DB));
        props.put("javax.persistence.jdbc.user", System.getenv("PGUSER"));
        props.put("javax.persistence.jdbc.password", System.getenv("PGPASSWORD"));
        emf = Persistence.createEntityManagerFactory("shop", props);
        String user = System.getenv("PGUSER");

        // recipe:begin migration
        // the migration (Flyway, Liquibase or a native query), run once
        tx(em -> {
            em.createNativeQuery("CREATE EXTENSION IF NOT EXISTS orm_triggers").executeUpdate();
            em.createNativeQuery(
                "CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL, price int NOT NULL DEFAULT 0,"
                + " lock_version int NOT NULL DEFAULT 0, created_at timestamptz, updated_at timestamptz,"
                + " created_by text, updated_by text, deleted_at timestamptz)").executeUpdate();
            em.createNativeQuery(
                "SELECT orm_triggers.attach('widgets', 'set_created_at', '{created_at}'),"
                + " orm_triggers.attach('widgets', 'update_last_modified', '{updated_at}'),"
                + " orm_triggers.attach('widgets', 'set_actor', '{created_by,on=insert}'),"
                + " orm_triggers.attach('widgets', 'set_actor', '{updated_by}'),"
                + " orm_triggers.attach('widgets', 'increment_version', '{lock_version}')").getResultList();
            em.createNativeQuery(
                "CREATE TRIGGER widgets_soft_delete BEFORE DELETE ON widgets"
                + " FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at')").executeUpdate();
            em.createNativeQuery(
                "CREATE TRIGGER widgets_audit AFTER INSERT OR UPDATE OR DELETE ON widgets"
                + " FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit()").executeUpdate();
            em.createNativeQuery(
                "CREATE TRIGGER widgets_notify AFTER INSERT OR UPDATE OR DELETE ON widgets"
                + " FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('channel=widgets', 'columns=name')")
                .executeUpdate();
        });
        // recipe:end migration
        tx(em -> {
            em.createNativeQuery("CREATE TABLE notes (id bigserial PRIMARY KEY, body text, deleted_at timestamptz)")
                .executeUpdate();
            em.createNativeQuery("CREATE TRIGGER notes_soft_delete BEFORE DELETE ON notes"
                                 + " FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at')")
                .executeUpdate();
        });

        // ---- stamps through persist / commit, read back with RETURNING
        Widget w = new Widget();
        Timestamp[] t = new Timestamp[4];
        ActorListener.ACTOR.set("alice");
        ActorListener.CONTEXT.set("{\"request\": \"r1\"}");
        tx(em -> {
            w.name = "kettle";
            w.price = 25;
            em.persist(w);
            em.flush();
            t[0] = dbNow(em);
        });
        ActorListener.ACTOR.remove();
        ActorListener.CONTEXT.remove();
        ok(t[0].equals(w.createdAt) && t[0].equals(w.updatedAt),
           "persist: created_at/updated_at read back (RETURNING) are the transaction time");
        ok("alice".equals(w.createdBy) && "alice".equals(w.updatedBy),
           "persist: created_by/updated_by from the actor the session event listener set");
        ok(w.lockVersion == 1, "persist: @Version starts at 1 (EclipseLink writes 1)");

        Thread.sleep(10);
        ActorListener.ACTOR.set("bob");
        tx(em -> {
            Widget m = em.find(Widget.class, w.id);
            m.price = 30;
            em.flush();
            t[1] = dbNow(em);
            w.lockVersion = m.lockVersion;
            // recipe:begin refresh
            em.flush();
            em.refresh(m);          // updated_at, updated_by: the triggers' values
            // recipe:end refresh
            w.updatedAt = m.updatedAt;
            w.updatedBy = m.updatedBy;
            w.createdAt = m.createdAt;
        });
        ActorListener.ACTOR.remove();
        ok(w.lockVersion == 2, "commit of a changed entity: in-memory @Version is 2");
        ok(t[1].equals(w.updatedAt) && "bob".equals(w.updatedBy) && t[0].equals(w.createdAt),
           "refresh() after flush: updated_at/updated_by are the trigger's, created_at kept");
        Widget r = load(w.id);
        ok(r.lockVersion == 2, "commit: stored lock_version bumped by exactly one (the trigger keeps read + 1)");
        ok(t[0].equals(r.createdAt) && t[1].equals(r.updatedAt) && "alice".equals(r.createdBy),
           "find after commit: created_at/created_by kept, updated_at bumped");

        // ---- the optimistic lock, unchanged
        EntityManager ea = emf.createEntityManager();
        EntityManager eb = emf.createEntityManager();
        ea.getTransaction().begin();
        eb.getTransaction().begin();
        Widget a = ea.find(Widget.class, w.id);
        Widget b = eb.find(Widget.class, w.id);
        a.name = "kettle2";
        ea.getTransaction().commit();
        b.name = "stale write";
        raises(OptimisticLockException.class, "a stale flush throws javax.persistence.OptimisticLockException",
               () -> eb.flush());
        eb.getTransaction().rollback();
        ea.close();
        eb.close();
        r = load(w.id);
        ok("kettle2".equals(r.name) && r.lockVersion == 3, "the stale write changed nothing (name kettle2, version 3)");

        Widget detached = load(w.id);
        tx(em -> em.find(Widget.class, w.id).price = 31);
        detached.name = "merged stale";
        raises(OptimisticLockException.class, "merge() of a stale detached entity: commit fails with OptimisticLockException",
               () -> tx(em -> em.merge(detached)));
        Widget fresh = load(w.id);
        fresh.name = "merged";
        tx(em -> em.merge(fresh));
        r = load(w.id);
        ok("merged".equals(r.name) && r.price == 31 && r.lockVersion == 5,
           "merge() of a fresh detached entity: saved, version bumped by one (5)");

        int[] cnt = new int[1];
        tx(em -> cnt[0] = em.createQuery("UPDATE Widget w SET w.price = w.price + 1 WHERE w.id = :id")
                                .setParameter("id", w.id).executeUpdate());
        r = load(w.id);
        ok(cnt[0] == 1 && r.price == 32 && r.lockVersion == 6,
           "JPQL bulk UPDATE: EclipseLink's own SET lock_version = lock_version + 1 is kept, one bump (6)");
        tx(em -> cnt[0] = em.createNativeQuery("UPDATE widgets SET price = 33 WHERE id = " + w.id).executeUpdate());
        r = load(w.id);
        ok(cnt[0] == 1 && r.price == 33 && r.lockVersion == 7,
           "native bulk UPDATE leaving the version out: the trigger bumps it (7)");
        raises(OptimisticLockException.class, "an entity read before the bulk UPDATEs is stale: merge fails",
               () -> tx(em -> em.merge(fresh)));
        Throwable e = raises(java.sql.SQLException.class, "a stale version written by a native UPDATE: 40001",
               () -> tx(em -> em.createNativeQuery("UPDATE widgets SET lock_version = 2 WHERE id = " + w.id)
                                  .executeUpdate()));
        ok(e != null && "40001".equals(((java.sql.SQLException) e).getSQLState())
               && e.getMessage().contains("stores version 7"),
           "the 40001 error names the stored version");

        // ---- who writes the stamp columns
        ClockedWidget c = new ClockedWidget();
        Timestamp y2001 = Timestamp.valueOf("2001-01-01 00:00:00");
        tx(em -> {
            c.name = "clocked";
            c.createdAt = y2001;
            c.updatedAt = y2001;
            c.createdBy = "mallory";
            em.persist(c);
        });
        Widget cr = load(c.id);
        ok(y2001.equals(cr.createdAt) && y2001.equals(cr.updatedAt) && "mallory".equals(cr.createdBy),
           "INSERT: values the entity writes (its clock, created_by) win over the triggers");
        tx(em -> {
            ClockedWidget m = em.find(ClockedWidget.class, c.id);
            m.name = "clocked2";
            m.createdAt = Timestamp.valueOf("2002-02-02 00:00:00");
            m.updatedAt = Timestamp.valueOf("2002-02-02 00:00:00");
            m.createdBy = "eve";
            m.updatedBy = "eve";
            em.flush();
            t[2] = dbNow(em);
        });
        cr = load(c.id);
        ok(y2001.equals(cr.createdAt) && t[2].equals(cr.updatedAt),
           "UPDATE: the triggers win (updated_at is the transaction time, created_at kept)");
        ok("mallory".equals(cr.createdBy) && user.equals(cr.updatedBy),
           "UPDATE: created_by kept, updated_by is the actor (here the session user)");

        // ---- what does not work: IDENTITY ids, @ReturnUpdate with @Version
        PitfallWidget pw = new PitfallWidget();
        tx(em -> {
            pw.name = "identity";
            em.persist(pw);
        });
        long realId = ((Number) one("SELECT id FROM widgets WHERE name = 'identity'")).longValue();
        long logId = ((Number) one("SELECT max(id) FROM orm_triggers.audit_log")).longValue();
        ok(pw.id != realId && pw.id == logId,
           "IDENTITY: EclipseLink's select lastval() returns the audit log's id, not the row's");
        EntityManager pa = emf.createEntityManager();
        pa.getTransaction().begin();
        PitfallWidget stalePw = pa.find(PitfallWidget.class, realId);
        tx(em -> em.find(PitfallWidget.class, realId).price = 1);
        stalePw.name = "stale";
        raises(NullPointerException.class,
               "@ReturnUpdate with @Version: a stale UPDATE throws NullPointerException, not OptimisticLockException",
               () -> pa.flush());
        pa.getTransaction().rollback();
        pa.close();
        ok("identity".equals(one("SELECT name FROM widgets WHERE id = " + realId)),
           "that stale UPDATE changed nothing");

        // ---- soft delete
        raises(OptimisticLockException.class,
               "remove() of a versioned entity without the customizer: DELETE reports 0 rows, OptimisticLockException",
               () -> tx(em -> em.remove(em.find(ClockedWidget.class, c.id))));
        r = load(c.id);
        ok(r != null && r.deletedAt == null && r.lockVersion == 2, "that remove() changed nothing (rolled back)");

        // recipe:begin soft-delete
        tx(em -> em.remove(em.find(Widget.class, c.id)));          // UPDATE ... WHERE lock_version = read
        tx(em -> em.createQuery("DELETE FROM Widget w WHERE w.name = 'gone'")
                     .executeUpdate());                            // any DELETE: the trigger soft-deletes
        // recipe:end soft-delete
        ok(load(c.id) == null, "remove(): find() no longer sees the widget (@AdditionalCriteria)");
        ok(((Number) one("SELECT lock_version FROM widgets WHERE deleted_at IS NOT NULL AND id = " + c.id)).intValue() == 3,
           "remove() soft-deleted the row with an UPDATE: deleted_at set, version bumped by one");
        Widget g = new Widget();
        tx(em -> {
            g.name = "gone";
            em.persist(g);
        });
        EntityManager ec = emf.createEntityManager();
        ec.getTransaction().begin();
        Widget staleG = ec.find(Widget.class, g.id);
        tx(em -> em.find(Widget.class, g.id).price = 9);
        ec.remove(staleG);
        raises(OptimisticLockException.class,
               "remove() of a stale entity: the soft-delete UPDATE matches 0 rows, OptimisticLockException",
               () -> ec.flush());
        ec.getTransaction().rollback();
        ec.close();
        ok(load(g.id) != null, "the stale remove() changed nothing");
        tx(em -> {
            cnt[0] = em.createQuery("DELETE FROM Widget w WHERE w.id = :id").setParameter("id", g.id).executeUpdate();
            t[3] = dbNow(em);
        });
        ok(cnt[0] == 0 && load(g.id) == null
               && t[3].equals(one("SELECT deleted_at FROM widgets WHERE id = " + g.id)),
           "JPQL bulk DELETE: 0 rows reported, the trigger soft-deleted the row at the transaction time");
        Note note = new Note();
        tx(em -> {
            note.body = "hello";
            em.persist(note);
        });
        tx(em -> em.remove(em.find(Note.class, note.id)));
        ok(one("SELECT deleted_at FROM notes WHERE id = " + note.id) != null,
           "remove() of an entity without @Version: no row-count check, the row is soft-deleted");
        tx(em -> {
            em.createNativeQuery("SET LOCAL orm_triggers.hard_delete = on").executeUpdate();
            em.remove(em.find(Note.class, note.id));
        });
        ok(((Number) one("SELECT count(*) FROM notes")).intValue() == 0,
           "remove() after SET LOCAL orm_triggers.hard_delete = on really deletes");
        tx(em -> {
            em.createNativeQuery("SET LOCAL orm_triggers.hard_delete = on").executeUpdate();
            cnt[0] = em.createNativeQuery("DELETE FROM widgets WHERE deleted_at IS NOT NULL").executeUpdate();
        });
        ok(cnt[0] == 2 && ((Number) one("SELECT count(*) FROM widgets WHERE deleted_at IS NOT NULL")).intValue() == 0,
           "a native DELETE after SET LOCAL orm_triggers.hard_delete = on purges the soft-deleted widgets");

        // ---- audit: actor and context per transaction
        EntityManager em = emf.createEntityManager();
        @SuppressWarnings("unchecked")
        List<Object[]> entries = em.createNativeQuery(
            "SELECT op, actor, context::text, session_user_name::text FROM orm_triggers.audit_log"
            + " WHERE table_name = 'widgets' ORDER BY id").getResultList();
        em.close();
        Object[] e0 = entries.get(0);
        ok("INSERT".equals(e0[0]) && "alice".equals(e0[1]) && "{\"request\": \"r1\"}".equals(e0[2])
               && user.equals(e0[3]),
           "audit_log: the persist's entry has the listener's actor and context and the session user");
        Object[] e1 = entries.get(1);
        ok("UPDATE".equals(e1[0]) && "bob".equals(e1[1]) && e1[2] == null,
           "audit_log: the next transaction's entry has its own actor, no context");
        boolean later = true;
        for (Object[] x : entries.subList(2, entries.size()))
            later &= user.equals(x[1]);
        ok(later, "transactions without an actor are logged under the session user");

        // ---- notify_change through pgjdbc's LISTEN
        try (Connection listener = jdbc(DB)) {
            // recipe:begin listen
            listener.createStatement().execute("LISTEN widgets");
            Widget nw = new Widget();
            nw.name = "notified";
            tx(x -> x.persist(nw));
            PGNotification[] got = listener.unwrap(PGConnection.class).getNotifications(5000);
            // recipe:end listen
            ok(got != null && got.length == 1 && got[0].getParameter().contains("\"op\":\"INSERT\"")
                   && got[0].getParameter().contains("\"values\":{\"name\":\"notified\"}"),
               "notify_change: PGConnection.getNotifications receives the INSERT with the name");
            tx(x -> x.find(Widget.class, nw.id).price = 3);
            got = listener.unwrap(PGConnection.class).getNotifications(5000);
            ok(got != null && got.length == 1 && got[0].getParameter().contains("\"op\":\"UPDATE\"")
                   && got[0].getParameter().contains("\"changed\":[\"price\",\"lock_version\",\"updated_at\"]"),
               "notify_change: the commit reports price, lock_version and updated_at changed");
            EntityManager rb = emf.createEntityManager();
            rb.getTransaction().begin();
            rb.find(Widget.class, nw.id).price = 4;
            rb.flush();
            rb.getTransaction().rollback();
            rb.close();
            got = listener.unwrap(PGConnection.class).getNotifications(500);
            ok(got == null || got.length == 0, "notify_change: nothing arrives for a rolled-back transaction");
        }

        // ---- OPTIMISTIC_FORCE_INCREMENT: EclipseLink writes the version alone
        Widget fw = new Widget();
        tx(x -> {
            fw.name = "forced";
            x.persist(fw);
        });
        tx(x -> x.lock(x.find(Widget.class, fw.id), LockModeType.OPTIMISTIC_FORCE_INCREMENT));
        Widget fr = load(fw.id);
        ok(fr.lockVersion == 2 && fr.updatedAt.equals(fw.updatedAt),
           "lock(OPTIMISTIC_FORCE_INCREMENT): read + 1 kept (2); updated_at unchanged (no other column changed)");

        emf.close();
        System.out.println("1.." + n);
        System.exit(failed == 0 ? 0 : 1);
    }
}
