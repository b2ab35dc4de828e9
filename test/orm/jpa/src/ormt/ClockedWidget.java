// ClockedWidget: the widgets table mapped the way JPA maps it by default,
// every column written by the application, to show which values win.
package ormt;

import java.sql.Timestamp;
import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.GeneratedValue;
import javax.persistence.GenerationType;
import javax.persistence.Id;
import javax.persistence.SequenceGenerator;
import javax.persistence.Table;
import javax.persistence.Version;

@Entity
@Table(name = "widgets")
public class ClockedWidget {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "widgets_id")
    @SequenceGenerator(name = "widgets_id", sequenceName = "widgets_id_seq", allocationSize = 1)
    public Long id;

    public String name;
    public int price;

    @Version
    @Column(name = "lock_version")
    public int lockVersion;

    @Column(name = "created_at")
    public Timestamp createdAt;

    @Column(name = "updated_at")
    public Timestamp updatedAt;

    @Column(name = "created_by")
    public String createdBy;

    @Column(name = "updated_by")
    public String updatedBy;
}
